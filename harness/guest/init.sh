#!/bin/sh
# Stage 2 of the test guests (PID 1 on the Debian root): mount the usual filesystems, put the
# kernel's modules (9p share) in place, bring up the fabric NIC named by its MAC on the kernel
# command line, then hand the serial console to a shell that the harness drives.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t configfs configfs /sys/kernel/config 2>/dev/null
# What udev would add to /dev: bash's process substitution (dkms uses it) needs /dev/fd.
ln -sf /proc/self/fd /dev/fd
for n in 0:stdin 1:stdout 2:stderr; do ln -sf "/proc/self/fd/${n%%:*}" "/dev/${n#*:}"; done

release=$(uname -r)
mkdir -p "/lib/modules/$release"
mount --bind "/mnt/kmods/$release" "/lib/modules/$release"

role=guest
for word in $(cat /proc/cmdline); do
	case "$word" in
	xs.role=*) role=${word#xs.role=} ;;
	xs.mac=*) mac=${word#xs.mac=} ;;
	xs.ip=*) ip4=${word#xs.ip=} ;;
	xs.ip6=*) ip6=${word#xs.ip6=} ;;
	xs.mtu=*) mtu=${word#xs.mtu=} ;;
	esac
done
hostname "$role"
ip link set lo up

modprobe virtio_net 2>/dev/null
fabric=
for dev in /sys/class/net/*; do
	[ "$(cat "$dev/address")" = "${mac:-}" ] && fabric=${dev##*/}
done
if [ -n "$fabric" ]; then
	ip link set "$fabric" mtu "${mtu:-1500}" up
	# replace: in boot-device mode stage 1 brought the fabric up already.
	[ -n "${ip4:-}" ] && ip addr replace "$ip4" dev "$fabric"
	[ -n "${ip6:-}" ] && ip -6 addr replace "$ip6" dev "$fabric" nodad
fi
echo "$fabric" > /run/xs-fabric-ifname

echo "XS-GUEST-READY role=$role fabric=${fabric:-none} kernel=$release"
export PS1='xs# '
exec setsid -w -c /bin/sh -i <>/dev/ttyS0 >&0 2>&1

#!/bin/sh
# Make this guest a place that builds and installs out-of-tree modules as an operator's server
# does: the running kernel's headers and kbuild tools (the 9p share "kusr", the kernel's usr/
# from the harness cache) where Debian's packages put them, and /lib/modules writable (a tmpfs
# over the read-only modules share), so `dkms install` and depmod work. Idempotent.
#
# $1: where that usr/ lies on the harness's machine; the unpacked headers name it in their
# Makefile, so it is there in the guest too.
set -eu
release=$(uname -r)
cache_usr=$1
ninep="trans=virtio,version=9p2000.L,msize=524288,ro"

mkdir -p /mnt/kusr "$cache_usr"
mountpoint -q /mnt/kusr || mount -t 9p -o "$ninep" kusr /mnt/kusr
mountpoint -q "$cache_usr" || mount --bind /mnt/kusr "$cache_usr"
for sub in src lib; do
	[ -d "/mnt/kusr/$sub" ] || continue
	for dir in "/mnt/kusr/$sub"/*; do
		case "$sub/${dir##*/}" in
		src/*|lib/linux-kbuild-*) ;;
		*) continue ;;
		esac
		target="/usr/$sub/${dir##*/}"
		mkdir -p "$target"
		mountpoint -q "$target" || mount --bind "$dir" "$target"
	done
done

modules="/lib/modules/$release"
if ! grep -q " $modules overlay " /proc/mounts; then
	modprobe overlay
	mkdir -p /run/modules-upper /run/modules-work
	mount -t overlay overlay \
		-o "lowerdir=/mnt/kmods/$release,upperdir=/run/modules-upper,workdir=/run/modules-work" \
		"$modules"
fi
[ -e "$modules/build/Makefile" ] || { echo "no kernel headers at $modules/build" >&2; exit 1; }
echo "kernel build environment ready for $release"

#!/bin/sh
# Install what the build and the tests need on a Debian 12 machine, idempotently:
# Debian packages (only the missing ones) and a Python virtual environment with requirements.txt
# at the versions constraints.txt pins. `bootstrap.sh bench` adds requirements-bench.txt.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
venv="$top/.venv"

# qemu, mmdebstrap and busybox-static: the guests; gcc-12, dwarves (pahole), libelf1, libssl3:
# module builds against Debian's headers (its kbuild tools are unpacked, not installed, so their
# libraries must be here; sparse is built from source, harness/sparse.py); cpio/xz/kmod/e2fsprogs:
# images and depmod; zstd: the vmlinux inside Debian's 6.12 bzImage (harness/pvh.py); flex,
# bison, bc, libelf-dev, libssl-dev: the matrix cells built from Debian's kernel source; tmux:
# the test that drives `harness shell` as a person would.
debian_packages="qemu-system-x86 qemu-utils ipxe-qemu seabios mmdebstrap busybox-static
	e2fsprogs kmod xz-utils zstd cpio gcc-12 make libc6-dev dwarves libelf1 libssl3 zlib1g
	flex bison bc libelf-dev libssl-dev python3 python3-venv ca-certificates tmux"

say() { echo "[xs] $*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=
for pkg in $debian_packages; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	say "installing Debian packages:$missing"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
else
	say "Debian packages: all present"
fi

if [ ! -x "$venv/bin/python" ]; then
	say "creating Python virtual environment in .venv"
	python3 -m venv "$venv"
fi
sets="requirements.txt"
[ "${1:-}" = bench ] && sets="$sets requirements-bench.txt"
for set in $sets; do
	key=$(cat "$top/$set" "$top/constraints.txt" | sha256sum | cut -c1-16)
	stamp="$venv/.${set%.txt}-$key"
	if [ ! -e "$stamp" ]; then
		say "installing Python $set (pinned by constraints.txt)"
		"$venv/bin/pip" install -q -r "$top/$set" -c "$top/constraints.txt"
		rm -f "$venv/.${set%.txt}"-????????????????
		touch "$stamp"
	else
		say "Python $set: up to date"
	fi
done

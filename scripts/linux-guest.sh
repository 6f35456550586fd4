#!/usr/bin/env bash
# Builds the Linux guest of docs/linux-boot.md: Debian 12's own kernel
# (linux-image-amd64 -> linux-image-6.1.0-N-amd64) and an initramfs made from
# busybox-static whose /init mounts proc, sys and dev, prints a marker and runs
# a shell on the console (ttyS0 with console=ttyS0), or with vtlab_poweroff=1
# on the kernel command line reports uname, the CPUs and the interrupts and
# powers off.
#
#   scripts/linux-guest.sh [OUT_DIR]      (default: build/linux-guest)
#
# Writes OUT_DIR/vmlinuz, OUT_DIR/initrd.img and OUT_DIR/kernel-release (the
# string `uname -r` prints), and prints OUT_DIR.
# The .debs are fetched with `apt-get download` (no root needed) into
# OUT_DIR/debs the first time and reused after that: delete that folder to
# pick up a newer kernel. Nothing here goes into git (build/ is ignored).
# Any failure (no network, no package lists) is an error, never a skip.
set -euo pipefail

die() {
  echo "linux-guest: error: $*" >&2
  exit 1
}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/linux-guest}
mkdir -p "$out/debs"
out=$(cd "$out" && pwd)
debs=$out/debs
# One build at a time per folder (tests may run this concurrently).
exec 9>"$out/.lock"
flock 9

for tool in apt-get dpkg-deb cpio gzip flock; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (scripts/install-deps.sh installs it)"
done

# fetch PATTERN PACKAGE: the cached .deb matching PATTERN, else downloads PACKAGE.
fetch() {
  local pattern=$1 package=$2 found
  found=$(ls "$debs"/$pattern 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "linux-guest: downloading $package" >&2
    (cd "$debs" && apt-get download -q "$package" >&2) ||
      die "apt-get download $package failed (network, or run 'apt-get update' first)"
    found=$(ls "$debs"/$pattern 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] || die "apt-get download $package left no $pattern in $debs"
  fi
  echo "$found"
}

# The kernel: the package linux-image-amd64 depends on (the current 6.1 ABI).
kernel_deb=$(ls "$debs"/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$kernel_deb" ]; then
  kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1)
  [ -n "$kernel_pkg" ] ||
    die "apt-cache knows no linux-image-amd64 depending on linux-image-6.1.0-*-amd64 (run 'apt-get update'; this needs Debian 12's package lists)"
  kernel_deb=$(fetch "${kernel_pkg}_*.deb" "$kernel_pkg")
fi
busybox_deb=$(fetch 'busybox-static_*.deb' busybox-static)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Kernel image (the package's System.map is a placeholder: symbols are in the -dbg package).
dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work" --wildcards './boot/vmlinuz-*'
vmlinuz=$(ls "$work"/boot/vmlinuz-*)
release=${vmlinuz##*/vmlinuz-}
cp "$vmlinuz" "$out/vmlinuz.new" && mv "$out/vmlinuz.new" "$out/vmlinuz"
echo "$release" >"$out/kernel-release"

# Initramfs: busybox, one symlink per applet, /init.
dpkg-deb --fsys-tarfile "$busybox_deb" | tar -x -C "$work" ./bin/busybox
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
cp "$work/bin/busybox" "$rootfs/bin/busybox"
# The applet list is busybox's own (it is a static x86-64 Linux binary, so it runs on the host).
"$rootfs/bin/busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$rootfs/$applet"
done
cat >"$rootfs/init" <<'EOF'
#!/bin/sh
# vtlab's Linux guest: mount the kernel's file systems, say so, run a shell.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
export HOME=/root PATH=/bin:/sbin:/usr/bin:/usr/sbin PS1='vtlab# '
cd /root
echo "vtlab-guest: init up, kernel $(uname -r)"
# vtlab_poweroff=1 on the kernel command line (the kernel hands unknown
# name=value parameters to init as environment variables): report and power
# off without a keystroke (scripts/linux-compare.sh runs vtlab and QEMU so).
if [ "$vtlab_poweroff" = 1 ]; then
  uname -a
  echo "processors: $(grep -c ^processor /proc/cpuinfo)"
  cat /proc/interrupts
  poweroff -f
fi
# cttyhack opens the console's real device (ttyS0), so the shell has a
# controlling terminal and job control.
exec setsid cttyhack sh
EOF
chmod 755 "$rootfs/init"
# /dev/console (init's stdio) comes from the kernel's built-in initramfs.
(cd "$rootfs" && find . -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --owner=0:0 --quiet) >"$work/rootfs.cpio"
gzip -9 -n <"$work/rootfs.cpio" >"$out/initrd.img.new" && mv "$out/initrd.img.new" "$out/initrd.img"
echo "$out"

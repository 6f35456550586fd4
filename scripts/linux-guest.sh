#!/usr/bin/env bash
# Builds the Linux guest of docs/linux-boot.md: Debian 12's own kernel
# (linux-image-amd64 -> linux-image-6.1.0-N-amd64) and an initramfs made from
# busybox-static whose /init mounts proc, sys and dev, prints a marker and runs
# a shell on the console (ttyS0 with console=ttyS0), or with vtlab_poweroff=1
# on the kernel command line reports uname, the CPUs and the interrupts and
# powers off.
#
#   scripts/linux-guest.sh [--kvm PROGRAM] [OUT_DIR]   (default: build/linux-guest)
#
# Writes OUT_DIR/vmlinuz, OUT_DIR/initrd.img and OUT_DIR/kernel-release (the
# string `uname -r` prints), and prints OUT_DIR.
#
# --kvm PROGRAM (docs/linux-boot.md "KVM inside vtlab") also puts the kernel
# package's own irqbypass.ko, kvm.ko and kvm-intel.ko (decompressed here if
# the package compresses them) and PROGRAM (a static executable, the build's
# kvm-smoke) into the initramfs as /bin/kvm-smoke; with vtlab_kvm=1 on the
# kernel command line /init then loads the modules, prints kvm_intel's
# parameters, runs kvm-smoke once on every CPU and powers off.
#
# The .debs are fetched with `apt-get download` (no root needed) the first
# time and kept in a cache shared by every checkout: $VTLAB_DEB_CACHE, else
# ${XDG_CACHE_HOME:-~/.cache}/vtlab/debs (OUT_DIR/debs if that cannot be
# made). Delete the cached linux-image .deb to pick up a newer kernel.
# Nothing here goes into git. Without package lists, root runs
# `apt-get update` first. Any failure (no network, no package lists) is an
# error, never a skip.
set -euo pipefail

die() {
  echo "linux-guest: error: $*" >&2
  exit 1
}
root=$(cd "$(dirname "$0")/.." && pwd)
kvm_program=
if [ "${1:-}" = --kvm ]; then
  [ $# -ge 2 ] || die "--kvm needs the path of the kvm-smoke program"
  kvm_program=$2
  shift 2
  [ -f "$kvm_program" ] && [ -x "$kvm_program" ] || die "--kvm: '$kvm_program' is not an executable file"
fi
out=${1:-$root/build/linux-guest}
mkdir -p "$out"
out=$(cd "$out" && pwd)

for tool in apt-get apt-cache dpkg-deb cpio gzip flock; do
  command -v "$tool" >/dev/null || die "'$tool' is missing (scripts/install-deps.sh installs it)"
done

debs=${VTLAB_DEB_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/vtlab/debs}
mkdir -p "$debs" 2>/dev/null && [ -w "$debs" ] || debs=$out/debs
mkdir -p "$debs"
# One build at a time per folder, one download at a time per cache (tests
# may run this concurrently).
exec 9>"$out/.lock"
flock 9
exec 8>"$debs/.lock"
flock 8

apt_opts=(-q)
# As root, apt downloads as the user _apt, who may not write here: say it may stay root.
[ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)

# fetch PATTERN PACKAGE: the cached .deb matching PATTERN, else downloads PACKAGE.
fetch() {
  local pattern=$1 package=$2 found
  found=$(ls "$debs"/$pattern 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ]; then
    echo "linux-guest: downloading $package into $debs" >&2
    (cd "$debs" && apt-get download "${apt_opts[@]}" "$package" >&2) ||
      die "apt-get download $package failed (no network, or stale package lists: run 'apt-get update')"
    found=$(ls "$debs"/$pattern 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$found" ] || die "apt-get download $package left no $pattern in $debs"
  fi
  echo "$found"
}

# kernel_package: the package linux-image-amd64 depends on (the current 6.1 ABI).
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9]*-amd64\)$/\1/p' | head -n 1
}

# The kernel: the package linux-image-amd64 depends on (the current 6.1 ABI).
kernel_deb=$(ls "$debs"/linux-image-6.1.0-*-amd64_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$kernel_deb" ]; then
  kernel_pkg=$(kernel_package)
  if [ -z "$kernel_pkg" ] && [ "$(id -u)" -eq 0 ]; then
    echo "linux-guest: no package lists know linux-image-amd64: apt-get update" >&2
    apt-get update -qq >&2 || die "apt-get update failed"
    kernel_pkg=$(kernel_package)
  fi
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
# vtlab_kvm=1 (an initramfs made with --kvm): load KVM, run kvm-smoke, power off.
if [ "$vtlab_kvm" = 1 ] && [ -x /bin/vtlab-kvm-test ]; then
  vtlab-kvm-test
  poweroff -f
fi
# cttyhack opens the console's real device (ttyS0), so the shell has a
# controlling terminal and job control.
exec setsid cttyhack sh
EOF
chmod 755 "$rootfs/init"

# KVM inside vtlab: the modules from the same kernel package, in their usual
# place (insmod takes paths; the order follows their `depends=`).
if [ -n "$kvm_program" ]; then
  moddir=lib/modules/$release/kernel
  kvm_modules="virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel"
  patterns=()
  for m in $kvm_modules; do patterns+=("./$moddir/$m.ko*"); done
  dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$work" --wildcards "${patterns[@]}" ||
    die "$kernel_deb lacks one of the modules $kvm_modules"
  for m in $kvm_modules; do
    mkdir -p "$rootfs/$moddir/$(dirname "$m")"
    src=$(ls "$work/$moddir/$m".ko* | head -n 1)
    # busybox insmod loads plain ELF objects: undo the package's compression.
    case $src in
    *.ko) cp "$src" "$rootfs/$moddir/$m.ko" ;;
    *.ko.xz) xz -dc "$src" >"$rootfs/$moddir/$m.ko" ;;
    *.ko.zst) zstd -qdc "$src" >"$rootfs/$moddir/$m.ko" ;;
    *.ko.gz) gzip -dc "$src" >"$rootfs/$moddir/$m.ko" ;;
    *) die "cannot decompress $src" ;;
    esac
  done
  cp "$kvm_program" "$rootfs/bin/kvm-smoke"
  {
    echo '#!/bin/sh'
    echo '# Loads KVM, reports kvm_intel'"'"'s parameters, runs kvm-smoke on every CPU.'
    echo "moddir=/$moddir"
    echo "modules='$kvm_modules'"
    cat <<'EOF'
for m in $modules; do
  insmod $moddir/$m.ko || echo "vtlab-kvm: insmod $m failed"
done
for p in ept vpid unrestricted_guest enable_apicv flexpriority enable_shadow_vmcs pml preemption_timer nested; do
  echo "vtlab-kvm: kvm_intel.$p=$(cat /sys/module/kvm_intel/parameters/$p 2>&1)"
done
n=$(grep -c ^processor /proc/cpuinfo)
cpu=0
while [ $cpu -lt $n ]; do
  echo "vtlab-kvm: kvm-smoke on CPU $cpu"
  taskset -c $cpu /bin/kvm-smoke
  echo "vtlab-kvm: kvm-smoke on CPU $cpu exit status $?"
  cpu=$((cpu + 1))
done
EOF
  } >"$rootfs/bin/vtlab-kvm-test"
  chmod 755 "$rootfs/bin/vtlab-kvm-test"
fi
# /dev/console (init's stdio) comes from the kernel's built-in initramfs.
# Reproducible: fixed times, owners and inode numbers, sorted names, so the
# same packages give the same bytes (and runs on other hosts the same state hash).
find "$rootfs" -exec touch -h -d @0 {} +
(cd "$rootfs" && find . -print0 | LC_ALL=C sort -z |
  cpio --null --create --format=newc --owner=0:0 --reproducible --quiet) >"$work/rootfs.cpio"
gzip -9 -n <"$work/rootfs.cpio" >"$out/initrd.img.new" && mv "$out/initrd.img.new" "$out/initrd.img"
echo "$out"

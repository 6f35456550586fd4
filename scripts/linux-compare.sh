#!/usr/bin/env bash
# Boots the Linux guest of scripts/linux-guest.sh (Debian 12's kernel, a
# busybox initramfs) on vtlab and, when qemu-system-x86_64 is installed, on
# QEMU's TCG with the same kernel, initramfs and command line, then shows
# where the two kernel logs differ. The guest's /init powers off by itself
# (vtlab_poweroff=1), so both runs end on their own.
#
#   scripts/linux-compare.sh [--cpus N] [--mem SIZE] [--append "PARAMS"] [--out DIR] [--no-qemu]
#
# Needs a Release build (cmake --preset release && cmake --build --preset release),
# or VTLAB=path/to/vtlab.
# Writes into DIR (default build/linux-compare): vtlab.log, vtlab.summary,
# qemu.log, and boot.diff (both logs with the timestamps taken off, as a
# unified diff: lines only vtlab printed start with '+'). QEMU is not a
# dependency of the test suite: without it only vtlab runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cpus=1 mem=512M append="" out=$root/build/linux-compare use_qemu=1
while [ $# -gt 0 ]; do
  case $1 in
  --cpus) cpus=$2; shift 2 ;;
  --mem) mem=$2; shift 2 ;;
  --append) append=$2; shift 2 ;;
  --out) out=$2; shift 2 ;;
  --no-qemu) use_qemu=0; shift ;;
  *) echo "usage: $0 [--cpus N] [--mem SIZE] [--append PARAMS] [--out DIR] [--no-qemu]" >&2; exit 2 ;;
  esac
done
vtlab=${VTLAB:-$root/build/release/frontend/vtlab}
[ -x "$vtlab" ] || { echo "linux-compare: build vtlab first (no $vtlab)" >&2; exit 1; }
guest=$("$root/scripts/linux-guest.sh")
mkdir -p "$out"
cmdline="console=ttyS0 vtlab_poweroff=1${append:+ $append}"
echo "kernel $(cat "$guest/kernel-release"), --cpus $cpus --mem $mem, command line: $cmdline"

# timed FILE CMD...: runs CMD; FILE gets "wall-seconds user-seconds"
# (user CPU time is the steadier number on a shared host).
timed() {
  local file=$1
  shift
  local TIMEFORMAT='%R %U'
  { time "$@" 2>&3; } 3>&2 2>"$file"
}

status=0
timed "$out/vtlab.time" "$vtlab" run "$guest/vmlinuz" --initrd "$guest/initrd.img" --cmdline "$cmdline" --mem "$mem" \
  --cpus "$cpus" --serial-in none --max-insns 40000000000 >"$out/vtlab.log" 2>"$out/vtlab.summary" || status=$?
read -r wall user <"$out/vtlab.time"
insns=$(sed -n 's/^vtlab: \([0-9]*\) instructions retired.*/\1/p' "$out/vtlab.summary" | tail -n 1)
mips=$(awk -v n="${insns:-0}" -v u="$user" 'BEGIN { if (u > 0) printf "%.0f", n / u / 1e6; else print "?" }')
echo "vtlab: ${wall} s wall, ${user} s user (${mips} MIPS of user time), exit status $status: $(tail -n 1 "$out/vtlab.summary")"

if [ "$use_qemu" = 1 ] && command -v qemu-system-x86_64 >/dev/null; then
  # q35 is the chipset vtlab follows (docs/firmware.md); -nodefaults leaves
  # out QEMU's VGA and network card, which vtlab does not have.
  status=0
  timed "$out/qemu.time" timeout 1200 qemu-system-x86_64 -accel tcg -M q35 -nodefaults -display none -monitor none \
    -no-reboot -m "$mem" -smp "$cpus" -kernel "$guest/vmlinuz" -initrd "$guest/initrd.img" -append "$cmdline" \
    -serial "file:$out/qemu.log" </dev/null || status=$?
  read -r wall user <"$out/qemu.time"
  echo "QEMU $(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([^ ]*\).*/\1/p') TCG:" \
    "${wall} s wall, ${user} s user, exit status $status"
  strip() { sed -e 's/\r$//' -e 's/^\[ *[0-9]*\.[0-9]*\] //' "$1"; }
  diff -u --label qemu.log --label vtlab.log <(strip "$out/qemu.log") <(strip "$out/vtlab.log") >"$out/boot.diff" || true
  echo "kernel log differences: $out/boot.diff ($(grep -c '^[-+][^-+]' "$out/boot.diff" || true) lines)"
else
  echo "qemu-system-x86_64 not run (not installed, or --no-qemu)"
fi
echo "logs: $out"

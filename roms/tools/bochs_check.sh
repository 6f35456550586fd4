#!/bin/sh
# bochs_check.sh ROM_OBJ_DIR EXPECTED_DIR BOOT_SECTOR ROM[:skip=id,...]...
# Cross-checks VMX test ROMs on Bochs, the one other free emulator with VMX
# (Debian's bochs package is built with it): each ROM is written after the
# boot sector tools/bochs_boot.S on a disk image and booted with a CPU model
# that has EPT, VPID, unrestricted guest and VMCS shadowing; its serial
# output is compared with EXPECTED_DIR/<rom>.txt. Bochs is not the authority
# (the SDM is): a difference is a question, answered in roms/README.md
# "vmx". Bochs has no debug-exit port, so the run ends when the ROM prints
# its summary line (or after a timeout). A ROM argument may carry a command
# line after a colon, e.g. vmx-basic:skip=vmcall-root for a test Bochs
# cannot run (its VMCALL in VMX root operation is a panic): the expected
# output is then adjusted to show those tests skipped.
# Run it with: cmake --build <build> --target roms-bochs-check
set -u
obj_dir=$1
expected_dir=$2
boot=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
bios=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
[ -f "$vgabios" ] || vgabios=/usr/share/bochs/VGABIOS-lgpl-latest
model=${BOCHS_CPU:-corei7_skylake_x}

for arg in "$@"; do
  rom=${arg%%:*}
  cmdline=""
  [ "$rom" != "$arg" ] && cmdline=${arg#*:}
  elf=$obj_dir/$rom.elf64
  objcopy -O binary "$elf" "$tmp/$rom.bin"
  size=$(stat -c %s "$tmp/$rom.bin")
  sectors=$(( (size + 511) / 512 ))
  entry=$(nm "$elf" | awk '$3 == "_start32" { print $1 }')
  cp "$boot" "$tmp/$rom.img"
  python3 - "$tmp/$rom.img" "$sectors" "$entry" "$cmdline" <<'PY'
import struct, sys
path, sectors, entry, cmdline = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16), sys.argv[4].encode()
assert len(cmdline) < 0x1f4 - 0x180
with open(path, 'r+b') as f:
    f.seek(0x180); f.write(cmdline + b'\0')
    f.seek(0x1f4); f.write(struct.pack('<H', sectors))
    f.seek(0x1f8); f.write(struct.pack('<I', entry))
PY
  cat "$tmp/$rom.bin" >> "$tmp/$rom.img"
  # Whole cylinders of 16 heads x 63 sectors.
  cyl=$(( ($(stat -c %s "$tmp/$rom.img") + 516095) / 516096 ))
  truncate -s $((cyl * 516096)) "$tmp/$rom.img"
  out=$tmp/$rom.out
  : > "$out"
  cat > "$tmp/bochsrc" <<RC
megs: 256
romimage: file=$bios
vgaromimage: file=$vgabios
cpu: model=$model, count=1, ips=100000000, reset_on_triple_fault=0
ata0-master: type=disk, path=$tmp/$rom.img, mode=flat, cylinders=$cyl, heads=16, spt=63
boot: disk
com1: enabled=1, mode=file, dev=$out
display_library: rfb, options="timeout=0"
log: $tmp/$rom.log
panic: action=report
error: action=report
info: action=ignore
debug: action=ignore
clock: sync=none
RC
  for i in $(seq 20); do echo c; done > "$tmp/debugger.rc"  # Bochs' debugger: continue
  bochs -q -f "$tmp/bochsrc" -rc "$tmp/debugger.rc" >"$tmp/bochs.stdout" 2>&1 &
  pid=$!
  i=0
  while [ $i -lt ${BOCHS_TIMEOUT:-120} ] && ! grep -q "^$rom: .* passed" "$out" 2>/dev/null; do
    sleep 1
    i=$((i + 1))
    kill -0 $pid 2>/dev/null || break
  done
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
  if [ -n "${BOCHS_KEEP:-}" ]; then cp "$out" "$tmp/$rom.log" "$tmp/bochs.stdout" "$tmp/bochsrc" "$BOCHS_KEEP/" 2>/dev/null; fi
  # The expected output with the tests the command line skips shown as skipped.
  python3 - "$expected_dir/$rom.txt" "$cmdline" > "$tmp/$rom.expected" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
skips = set()
for word in sys.argv[2].split():
    if word.startswith('skip='): skips.update(word[5:].split(','))
out = []
for line in lines:
    m = re.match(r'(PASS|FAIL) (\S+) (.*)$', line)
    if m and m.group(2) in skips:
        line = 'SKIP %s %s: skipped by the command line' % (m.group(2), m.group(3))
    m = re.match(r'(\S+): (\d+) passed, (\d+) failed, (\d+) skipped$', line)
    if m:
        n = sum(1 for l in out if l.startswith('SKIP '))
        p = sum(1 for l in out if l.startswith('PASS '))
        line = '%s: %d passed, %s failed, %d skipped' % (m.group(1), p, m.group(3), n)
    out.append(line)
print('\n'.join(out))
PY
  if cmp -s "$out" "$tmp/$rom.expected"; then
    echo "ok   $rom"
  else
    echo "DIFF $rom (Bochs $model):"
    diff "$tmp/$rom.expected" "$out" | head -40
    failures=$((failures + 1))
  fi
done
[ "$failures" -eq 0 ] && echo "all VMX ROMs agree with Bochs" && exit 0
exit 1

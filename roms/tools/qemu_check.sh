#!/bin/sh
# qemu_check.sh ROM_DIR EXPECTED_DIR CHAINLOAD_BIN
# Cross-checks the ROMs on QEMU (the reference for the emulator's devices):
# boots every ROM QEMU can boot, compares its serial output byte for byte
# with EXPECTED_DIR, and checks that each exited through the debug-exit port
# with code 0 (QEMU status 1). QEMU's Multiboot memory map differs from
# vtlab's, so the hello ROMs are compared with EXPECTED_DIR/qemu/.
# ELF64 and Multiboot 2 images, which QEMU's -kernel refuses, get a header
# and layout check instead (check_multiboot.py).
# Run it with: cmake --build <build> --target roms-qemu-check
set -u
rom_dir=$1
expected_dir=$2
chainload=$3
tools_dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# run NAME EXPECTED_FILE QEMU_ARGS...
run() {
  name=$1
  expected=$2
  shift 2
  out=$tmp/$name.out
  timeout 120 qemu-system-x86_64 -m 128 -no-reboot -display none -monitor none \
    -serial "file:$out" -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" </dev/null
  status=$?
  if [ "$status" -ne 1 ]; then
    echo "FAIL $name: QEMU status $status (want 1 = debug-exit code 0)"
    failures=$((failures + 1))
  elif ! cmp -s "$out" "$expected"; then
    echo "FAIL $name: serial output differs from $expected"
    diff "$expected" "$out" | head -20
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

cd "$rom_dir" || exit 1
run hello "$expected_dir/qemu/hello.txt" -kernel hello.elf -append "a=1 b=2"
run hello-aout "$expected_dir/qemu/hello-aout.txt" -kernel hello-aout.bin -append "a=1 b=2"
run bench-small "$expected_dir/bench-small.txt" -kernel bench-small.elf
run bench "$expected_dir/bench.txt" -kernel bench.elf
run faults "$expected_dir/faults.txt" -kernel faults.elf
run smc "$expected_dir/smc.txt" -kernel smc.elf
# paging.elf is not run: QEMU's TCG reads PAE PDPTEs from memory on every
# walk instead of the PDPTE registers of SDM Vol. 3A §4.4.1, which the ROM checks.
# realmode, booted by the BIOS from its first sector (loads the rest with INT 13h) ...
run realmode-disk "$expected_dir/realmode.txt" -drive format=raw,file=realmode.bin
# ... and loaded whole at 0x7c00 and entered at 07c0:0000, as vtlab does.
cat "$chainload" realmode.bin > "$tmp/chain.img"
truncate -s 9216 "$tmp/chain.img"
run realmode-flat "$expected_dir/realmode.txt" -drive "format=raw,file=$tmp/chain.img"

python3 "$tools_dir/check_multiboot.py" hello.elf hello-elf64.elf hello-aout.bin hello-mb2.elf \
  bench.elf bench-small.elf faults.elf smc.elf paging.elf || failures=$((failures + 1))

[ "$failures" -eq 0 ] && echo "all ROM checks passed" && exit 0
echo "$failures ROM check(s) failed"
exit 1

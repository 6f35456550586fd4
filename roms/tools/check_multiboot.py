#!/usr/bin/env python3
"""check_multiboot.py IMAGE...: checks the boot header of ROM images that
QEMU cannot boot (ELF64 Multiboot 1, Multiboot 2) and of the others too.

For each image: finds a Multiboot 1 header in the first 8 KiB (4-byte
aligned) or a Multiboot 2 header in the first 32 KiB (8-byte aligned),
verifies its checksum, and for ELF files that the entry point and every
PT_LOAD segment lie at or above 1 MiB; for a.out-kludge headers that the
address fields are consistent with the file. Prints one line per image and
exits 1 on any problem."""
import struct
import sys

MB1_MAGIC, MB2_MAGIC = 0x1BADB002, 0xE85250D6


def find_header(data):
    for off in range(0, min(len(data), 8192) - 12 + 1, 4):
        magic, flags, checksum = struct.unpack_from("<III", data, off)
        if magic == MB1_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return "multiboot1", off, flags
    for off in range(0, min(len(data), 32768) - 16 + 1, 8):
        magic, arch, length, checksum = struct.unpack_from("<IIII", data, off)
        if magic == MB2_MAGIC and (magic + arch + length + checksum) & 0xFFFFFFFF == 0:
            return "multiboot2", off, arch
    return None, None, None


def elf_info(data):
    """Returns (class, entry, [(paddr, filesz, memsz)]) or None if not ELF."""
    if data[:4] != b"\x7fELF":
        return None
    cls = data[4]
    if cls == 1:
        entry, phoff = struct.unpack_from("<II", data, 24)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
        fmt, fields = "<IIIIIIII", (3, 4, 5)  # paddr, filesz, memsz
    else:
        entry, phoff = struct.unpack_from("<QQ", data, 24)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        fmt, fields = "<IIQQQQQQ", (4, 5, 6)
    loads = []
    for i in range(phnum):
        ph = struct.unpack_from(fmt, data, phoff + i * phentsize)
        if ph[0] == 1:  # PT_LOAD
            loads.append(tuple(ph[f] for f in fields))
    return (32 if cls == 1 else 64), entry, loads


def check(path):
    data = open(path, "rb").read()
    proto, off, flags = find_header(data)
    if proto is None:
        return False, "no Multiboot header with a valid checksum"
    desc = f"{proto} header at file offset {off:#x}"
    elf = elf_info(data)
    if proto == "multiboot1" and flags & (1 << 16):
        header_addr, load_addr, load_end, bss_end, entry = struct.unpack_from("<5I", data, off + 12)
        file_start = header_addr - off
        if load_addr != file_start or load_end - load_addr > len(data) or bss_end < load_end:
            return False, desc + ": inconsistent a.out-kludge address fields"
        if not load_addr <= entry < load_end:
            return False, desc + ": entry outside the loaded bytes"
        return True, desc + f", a.out kludge: load {load_addr:#x}-{load_end:#x} bss to {bss_end:#x} entry {entry:#x}"
    if elf is None:
        return False, desc + " but the file is not ELF and has no a.out-kludge fields"
    cls, entry, loads = elf
    if not loads or any(p < 0x100000 for p, _, _ in loads) or entry < 0x100000:
        return False, desc + f": ELF{cls} loads or enters below 1 MiB"
    segs = ", ".join(f"{p:#x} file {fs:#x} mem {ms:#x}" for p, fs, ms in loads)
    return True, desc + f", ELF{cls} entry {entry:#x}, PT_LOAD {segs}"


def main():
    ok_all = True
    for path in sys.argv[1:]:
        ok, msg = check(path)
        print(f"{'ok  ' if ok else 'FAIL'} {path}: {msg}")
        ok_all &= ok
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())

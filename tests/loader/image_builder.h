// Builders for small kernel images in memory: ELF32/ELF64 executables,
// Multiboot 1 headers (with or without the a.out kludge) and Multiboot 2
// headers with tags. Kept independent of the loader's code so a bug there
// cannot hide itself by appearing on both sides.
#pragma once
#include <string>
#include <vector>

#include "core/base/types.h"

namespace loader_test {

using vtlab::u16;
using vtlab::u32;
using vtlab::u64;
using vtlab::u8;
using Bytes = std::vector<u8>;

inline void put16(Bytes& b, size_t at, u16 v) {
  if (b.size() < at + 2) b.resize(at + 2);
  for (int i = 0; i < 2; ++i) b[at + i] = static_cast<u8>(v >> (8 * i));
}
inline void put32(Bytes& b, size_t at, u32 v) {
  if (b.size() < at + 4) b.resize(at + 4);
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<u8>(v >> (8 * i));
}
inline void put64(Bytes& b, size_t at, u64 v) {
  if (b.size() < at + 8) b.resize(at + 8);
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<u8>(v >> (8 * i));
}
inline void put_bytes(Bytes& b, size_t at, const Bytes& data) {
  if (b.size() < at + data.size()) b.resize(at + data.size());
  for (size_t i = 0; i < data.size(); ++i) b[at + i] = data[i];
}
inline void append32(Bytes& b, u32 v) { put32(b, b.size(), v); }

// Recognisable contents: byte i = seed + i.
inline Bytes pattern(size_t size, u8 seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = static_cast<u8>(seed + i);
  return b;
}

// ---- Multiboot 1 header (spec 0.6.96 section 3.1) ----
struct Mb1Header {
  u32 flags = 0x3;  // align modules, memory info
  bool bad_checksum = false;
  // a.out kludge fields, written when flags bit 16 is set
  u32 header_addr = 0, load_addr = 0, load_end_addr = 0, bss_end_addr = 0, entry_addr = 0;
  Bytes bytes() const {
    Bytes b;
    append32(b, 0x1badb002);
    append32(b, flags);
    append32(b, static_cast<u32>(0u - 0x1badb002u - flags + (bad_checksum ? 1 : 0)));
    if (flags & (1u << 16 | 1u << 2)) {
      append32(b, header_addr);
      append32(b, load_addr);
      append32(b, load_end_addr);
      append32(b, bss_end_addr);
      append32(b, entry_addr);
    }
    if (flags & (1u << 2)) {
      for (int i = 0; i < 4; ++i) append32(b, 0);  // mode_type, width, height, depth
    }
    return b;
  }
};

// ---- Multiboot 2 header (spec 2.0 section 3.1) ----
class Mb2Header {
 public:
  u32 architecture = 0;
  bool bad_checksum = false;
  bool omit_end_tag = false;

  Mb2Header& tag(u16 type, u16 flags, const Bytes& payload) {
    u32 size = static_cast<u32>(8 + payload.size());
    Bytes t;
    put16(t, 0, type);
    put16(t, 2, flags);
    put32(t, 4, size);
    put_bytes(t, 8, payload);
    while (t.size() % 8) t.push_back(0);
    tags_.insert(tags_.end(), t.begin(), t.end());
    return *this;
  }
  static Bytes u32s(std::initializer_list<u32> values) {
    Bytes b;
    for (u32 v : values) append32(b, v);
    return b;
  }
  Mb2Header& address(u32 header_addr, u32 load_addr, u32 load_end, u32 bss_end) {
    return tag(2, 0, u32s({header_addr, load_addr, load_end, bss_end}));
  }
  Mb2Header& entry(u32 addr) { return tag(3, 0, u32s({addr})); }

  Bytes bytes() const {
    Bytes b;
    Bytes body = tags_;
    if (!omit_end_tag) {
      Bytes end;
      put16(end, 0, 0);
      put16(end, 2, 0);
      put32(end, 4, 8);
      body.insert(body.end(), end.begin(), end.end());
    }
    u32 length = static_cast<u32>(16 + body.size());
    append32(b, 0xe85250d6);
    append32(b, architecture);
    append32(b, length);
    append32(b, static_cast<u32>(0u - 0xe85250d6u - architecture - length + (bad_checksum ? 1 : 0)));
    b.insert(b.end(), body.begin(), body.end());
    return b;
  }

 private:
  Bytes tags_;
};

// ---- ELF ----
struct ElfSegment {
  u64 paddr = 0;
  u64 vaddr = 0;  // 0 = same as paddr
  Bytes data;
  u64 memsz = 0;  // 0 = data.size()
  u32 flags = 5;  // PF_R | PF_X
  u32 type = 1;   // PT_LOAD
};

struct ElfSpec {
  bool is64 = false;
  u16 machine = 0;  // 0 = EM_386 for ELF32, EM_X86_64 for ELF64
  u64 entry = 0;
  std::vector<ElfSegment> segments;
  Bytes multiboot_header;  // placed right after the program headers, 8-aligned
};

struct BuiltElf {
  Bytes bytes;
  size_t header_offset = 0;           // where multiboot_header landed
  std::vector<size_t> data_offsets;   // file offset of each segment's data
  size_t phoff = 0, phentsize = 0;
};

inline BuiltElf build_elf(const ElfSpec& spec) {
  BuiltElf out;
  Bytes& b = out.bytes;
  const size_t ehsize = spec.is64 ? 64 : 52;
  out.phentsize = spec.is64 ? 56 : 32;
  out.phoff = ehsize;
  size_t at = ehsize + out.phentsize * spec.segments.size();
  at = (at + 7) & ~size_t{7};
  out.header_offset = at;
  at += spec.multiboot_header.size();
  for (const ElfSegment& s : spec.segments) {
    at = (at + 15) & ~size_t{15};
    out.data_offsets.push_back(at);
    at += s.data.size();
  }
  b.assign(at, 0);
  b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
  b[4] = spec.is64 ? 2 : 1;  // class
  b[5] = 1;                  // little-endian
  b[6] = 1;                  // version
  put16(b, 16, 2);           // ET_EXEC
  put16(b, 18, spec.machine ? spec.machine : (spec.is64 ? 62 : 3));
  put32(b, 20, 1);
  if (spec.is64) {
    put64(b, 24, spec.entry);
    put64(b, 32, out.phoff);
    put16(b, 52, static_cast<u16>(ehsize));
    put16(b, 54, static_cast<u16>(out.phentsize));
    put16(b, 56, static_cast<u16>(spec.segments.size()));
  } else {
    put32(b, 24, static_cast<u32>(spec.entry));
    put32(b, 28, static_cast<u32>(out.phoff));
    put16(b, 40, static_cast<u16>(ehsize));
    put16(b, 42, static_cast<u16>(out.phentsize));
    put16(b, 44, static_cast<u16>(spec.segments.size()));
  }
  for (size_t i = 0; i < spec.segments.size(); ++i) {
    const ElfSegment& s = spec.segments[i];
    size_t ph = out.phoff + i * out.phentsize;
    u64 vaddr = s.vaddr ? s.vaddr : s.paddr;
    u64 memsz = s.memsz ? s.memsz : s.data.size();
    if (spec.is64) {
      put32(b, ph + 0, s.type);
      put32(b, ph + 4, s.flags);
      put64(b, ph + 8, out.data_offsets[i]);
      put64(b, ph + 16, vaddr);
      put64(b, ph + 24, s.paddr);
      put64(b, ph + 32, s.data.size());
      put64(b, ph + 40, memsz);
      put64(b, ph + 48, 0x1000);
    } else {
      put32(b, ph + 0, s.type);
      put32(b, ph + 4, static_cast<u32>(out.data_offsets[i]));
      put32(b, ph + 8, static_cast<u32>(vaddr));
      put32(b, ph + 12, static_cast<u32>(s.paddr));
      put32(b, ph + 16, static_cast<u32>(s.data.size()));
      put32(b, ph + 20, static_cast<u32>(memsz));
      put32(b, ph + 24, s.flags);
      put32(b, ph + 28, 0x1000);
    }
    put_bytes(b, out.data_offsets[i], s.data);
  }
  put_bytes(b, out.header_offset, spec.multiboot_header);
  return out;
}

// A raw (non-ELF) image for the a.out kludge / MB2 address tag: `lead`
// bytes of code, then the header at offset `header_offset`, then `tail`.
inline Bytes build_raw(size_t header_offset, const Bytes& header, const Bytes& tail) {
  Bytes b = pattern(header_offset, 0x90);
  put_bytes(b, b.size(), header);
  put_bytes(b, b.size(), tail);
  return b;
}

}  // namespace loader_test

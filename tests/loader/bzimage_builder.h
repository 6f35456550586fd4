// Synthetic Linux bzImages for the loader tests: a setup area with the
// boot protocol's setup header (Documentation/arch/x86/boot.rst) and a
// protected-mode part. Written from the protocol's field table, apart from
// the loader's own constants.
#pragma once
#include "tests/loader/image_builder.h"

namespace loader_test {

struct BzSpec {
  u16 version = 0x020f;
  u8 setup_sects = 4;
  u8 loadflags = 0x01;      // LOADED_HIGH
  u16 xloadflags = 0x0001;  // XLF_KERNEL_64 (written for 2.12+)
  bool relocatable = true;
  u32 kernel_alignment = 0x200000;
  u64 pref_address = 0x1000000;
  u32 init_size = 0x400000;
  u32 cmdline_size = 2047;
  u32 initrd_addr_max = 0x7fffffff;
  int syssize = -1;     // -1: the kernel's size in 16-byte units
  int header_end = -1;  // -1: the end of the header for `version`
  Bytes kernel = pattern(0x3000, 7);

  // The header's end for each protocol: the last field it added.
  u64 natural_header_end() const {
    if (version >= 0x020f) return 0x26c;  // kernel_info_offset
    if (version >= 0x020b) return 0x268;  // handover_offset
    if (version >= 0x020a) return 0x264;  // init_size
    if (version >= 0x0209) return 0x258;  // setup_data
    if (version >= 0x0208) return 0x250;  // payload_length
    if (version >= 0x0207) return 0x248;  // hardware_subarch_data
    return 0x23c;                         // cmdline_size
  }
  u64 setup_size() const { return (u64(setup_sects ? setup_sects : 4) + 1) * 512; }
};

inline Bytes build_bzimage(const BzSpec& s) {
  Bytes b = pattern(s.setup_size(), 0x30);  // setup code stand-in
  const u64 end = s.header_end >= 0 ? u64(s.header_end) : s.natural_header_end();
  for (u64 i = 0x1f1; i < end; ++i) b[i] = 0;
  b[0x1f1] = s.setup_sects;
  put32(b, 0x1f4, s.syssize >= 0 ? u32(s.syssize) : u32((s.kernel.size() + 15) / 16));
  put16(b, 0x1fe, 0xaa55);
  b[0x200] = 0xeb;  // jmp short past the header
  b[0x201] = u8(end - 0x202);
  put32(b, 0x202, 0x53726448);  // "HdrS"
  put16(b, 0x206, s.version);
  b[0x211] = s.loadflags;
  put32(b, 0x214, 0x100000);  // code32_start
  put32(b, 0x22c, s.initrd_addr_max);
  put32(b, 0x230, s.kernel_alignment);
  b[0x234] = s.relocatable ? 1 : 0;
  if (s.version >= 0x020c) put16(b, 0x236, s.xloadflags);
  put32(b, 0x238, s.cmdline_size);
  if (s.version >= 0x020a) {
    put64(b, 0x258, s.pref_address);
    put32(b, 0x260, s.init_size);
  }
  b.resize(s.setup_size());
  b.insert(b.end(), s.kernel.begin(), s.kernel.end());
  return b;
}

// A kernel whose entry checks boot_params ("HdrS" at [RSI/ESI + 0x202])
// and leaves through the debug-exit port with the first byte of the initrd
// (0xff if the check fails). The same bytes run as 64-bit code at offset
// 0x200 and as 32-bit code at offset 0, so one image tests either entry.
inline Bytes entry_probe_kernel() {
  const Bytes code = {
      0x8b, 0x86, 0x02, 0x02, 0x00, 0x00,  // mov eax, [rsi + 0x202]
      0x3d, 0x48, 0x64, 0x72, 0x53,        // cmp eax, "HdrS"
      0x75, 0x10,                          // jne fail
      0x8b, 0x86, 0x18, 0x02, 0x00, 0x00,  // mov eax, [rsi + 0x218]   ; ramdisk_image
      0x0f, 0xb6, 0x00,                    // movzx eax, byte [rax]
      0xba, 0xf4, 0x00, 0x00, 0x00,        // mov edx, 0xf4
      0xef,                                // out dx, eax
      0xf4,                                // hlt
      0xba, 0xf4, 0x00, 0x00, 0x00,        // fail: mov edx, 0xf4
      0xb8, 0xff, 0x00, 0x00, 0x00,        // mov eax, 0xff
      0xef,                                // out dx, eax
      0xf4,                                // hlt
  };
  Bytes k(0x1000, 0xcc);  // int3 everywhere else
  put_bytes(k, 0, code);
  put_bytes(k, 0x200, code);
  return k;
}

}  // namespace loader_test

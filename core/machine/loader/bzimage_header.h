// The Linux/x86 boot protocol's setup header (Documentation/arch/x86/
// boot.rst), read and checked: everything the bzImage loader needs from a
// kernel file, every value it relies on validated, every problem a
// vtlab::Error naming the file and the field.
#pragma once
#include "core/machine/loader/file_bytes.h"

namespace vtlab::loader {

// Field offsets in the file (and in boot_params, which embeds the header at 0x1f1).
namespace linux_header {
inline constexpr u64 kSetupSects = 0x1f1;         // u8; 0 means 4
inline constexpr u64 kSysSize = 0x1f4;            // u32: protected-mode code in 16-byte units
inline constexpr u64 kJumpOffset = 0x201;         // u8: the header ends at 0x202 + this
inline constexpr u64 kMagic = 0x202;              // "HdrS"
inline constexpr u64 kVersion = 0x206;            // u16: protocol version, e.g. 0x020f
inline constexpr u64 kTypeOfLoader = 0x210;       // u8
inline constexpr u64 kLoadFlags = 0x211;          // u8
inline constexpr u64 kCode32Start = 0x214;        // u32
inline constexpr u64 kRamdiskImage = 0x218;       // u32
inline constexpr u64 kRamdiskSize = 0x21c;        // u32
inline constexpr u64 kCmdLinePtr = 0x228;         // u32, 2.02+
inline constexpr u64 kInitrdAddrMax = 0x22c;      // u32, 2.03+
inline constexpr u64 kKernelAlignment = 0x230;    // u32, 2.05+
inline constexpr u64 kRelocatableKernel = 0x234;  // u8, 2.05+
inline constexpr u64 kXLoadFlags = 0x236;         // u16, 2.12+
inline constexpr u64 kCmdlineSize = 0x238;        // u32, 2.06+
inline constexpr u64 kHardwareSubarch = 0x23c;    // u32, 2.07+
inline constexpr u64 kPrefAddress = 0x258;        // u64, 2.10+
inline constexpr u64 kInitSize = 0x260;           // u32, 2.10+

inline constexpr u32 kMagicValue = 0x53726448;  // "HdrS"
inline constexpr u16 kMinVersion = 0x0206;      // cmdline_size: Linux 2.6.22 and later
inline constexpr u8 kLoadedHigh = 1u << 0;      // loadflags: a bzImage, loaded at 1 MiB
inline constexpr u16 kXlfKernel64 = 1u << 0;    // xloadflags: 64-bit entry at load address + 0x200
}  // namespace linux_header

struct SetupHeader {
  u16 version = 0;
  u64 setup_size = 0;   // bytes before the protected-mode kernel: (setup_sects + 1) * 512
  u64 header_end = 0;   // one past the header's last byte
  u64 kernel_size = 0;  // the protected-mode kernel: the rest of the file
  u8 loadflags = 0;
  u32 initrd_addr_max = 0;
  bool relocatable = false;
  u32 kernel_alignment = 0;  // a power of two when relocatable
  u16 xloadflags = 0;        // 0 before 2.12
  u32 cmdline_size = 0;
  u64 pref_address = 0;  // 0 before 2.10
  u32 init_size = 0;     // 0 before 2.10

  bool has_64bit_entry() const { return xloadflags & linux_header::kXlfKernel64; }
};

// Whether the file carries the setup header's "HdrS" signature.
bool has_linux_header(const FileBytes& file);

// Reads and checks the header: protocol 2.06 or later, a bzImage (loaded
// high), a header and setup area inside the file, a non-empty protected-mode
// kernel that is not shorter than syssize says, a power-of-two alignment
// for a relocatable kernel.
SetupHeader read_setup_header(const FileBytes& file);

}  // namespace vtlab::loader

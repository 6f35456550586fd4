#include "core/machine/loader/bzimage_header.h"

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {

using namespace linux_header;

namespace {

// "2.06". Built by appending (GCC 12's false -Wrestrict, see hex.h).
std::string version_text(u16 v) {
  std::string text = std::to_string(v >> 8);
  text += (v & 0xff) < 10 ? ".0" : ".";
  text += std::to_string(v & 0xff);
  return text;
}

// The last header field vtlab reads for this protocol version.
u64 needed_header_end(u16 version) { return version >= 0x020a ? kInitSize + 4 : kCmdlineSize + 4; }

bool is_power_of_two(u32 v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace

bool has_linux_header(const FileBytes& file) {
  return file.contains(kMagic, 4) && file.u32_at(kMagic, "Linux header signature") == kMagicValue;
}

SetupHeader read_setup_header(const FileBytes& f) {
  SetupHeader h;
  h.version = static_cast<u16>(f.u16_at(kVersion, "Linux boot protocol version"));
  if (h.version < kMinVersion) {
    f.fail("is a Linux kernel with boot protocol " + version_text(h.version) +
           "; vtlab needs protocol 2.06 or later (Linux 2.6.22 and newer)");
  }
  h.header_end = 0x202 + u64(f.slice(kJumpOffset, 1, "Linux setup header length")[0]);
  if (h.header_end < needed_header_end(h.version)) {
    f.fail("the Linux setup header ends at " + hex(h.header_end) + " (0x202 + the byte at 0x201), but boot protocol " +
           version_text(h.version) + " has fields up to " + hex(needed_header_end(h.version)));
  }
  f.slice(0, h.header_end, "Linux setup header");
  u64 sects = f.slice(kSetupSects, 1, "setup_sects")[0];
  h.setup_size = ((sects == 0 ? 4 : sects) + 1) * 512;
  if (h.setup_size < h.header_end) {
    f.fail("setup_sects (" + std::to_string(sects) + ") makes the setup area " + std::to_string(h.setup_size) +
           " bytes, too short to hold the setup header (" + std::to_string(h.header_end) + " bytes)");
  }
  if (h.setup_size >= f.size()) {
    f.fail("has no protected-mode kernel: the setup area (setup_sects " + std::to_string(sects) + ", " +
           std::to_string(h.setup_size) + " bytes) reaches the end of the file (" + std::to_string(f.size()) +
           " bytes)");
  }
  h.kernel_size = f.size() - h.setup_size;
  const u64 syssize_bytes = u64(f.u32_at(kSysSize, "syssize")) * 16;
  if (syssize_bytes > h.kernel_size) {
    f.fail("is truncated: syssize says the protected-mode kernel is " + std::to_string(syssize_bytes) +
           " bytes, the file holds " + std::to_string(h.kernel_size) + " after the setup area");
  }
  h.loadflags = f.slice(kLoadFlags, 1, "loadflags")[0];
  if (!(h.loadflags & kLoadedHigh)) {
    f.fail("is a zImage (loadflags bit 0 clear: loaded at 0x10000); vtlab boots only bzImage kernels");
  }
  h.initrd_addr_max = f.u32_at(kInitrdAddrMax, "initrd_addr_max");
  h.relocatable = f.slice(kRelocatableKernel, 1, "relocatable_kernel")[0] != 0;
  h.kernel_alignment = f.u32_at(kKernelAlignment, "kernel_alignment");
  if (h.relocatable && (!is_power_of_two(h.kernel_alignment) || h.kernel_alignment < kPageSize)) {
    f.fail("is relocatable but its kernel_alignment " + hex(h.kernel_alignment) +
           " is not a power of two of at least 4 KiB");
  }
  h.cmdline_size = f.u32_at(kCmdlineSize, "cmdline_size");
  if (h.version >= 0x020a) {
    h.pref_address = f.u64_at(kPrefAddress, "pref_address");
    h.init_size = f.u32_at(kInitSize, "init_size");
  }
  if (h.version >= 0x020c) h.xloadflags = static_cast<u16>(f.u16_at(kXLoadFlags, "xloadflags"));
  return h;
}

}  // namespace vtlab::loader

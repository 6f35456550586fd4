#include "core/machine/loader/multiboot2_header.h"

#include <string>

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/hex.h"
#include "core/machine/loader/multiboot_search.h"

namespace vtlab::loader {
namespace {

constexpr u32 kArchitectureI386 = 0;
constexpr u64 kFixedPartSize = 16;  // magic, architecture, header_length, checksum
constexpr u64 kTagAlign = 8;
constexpr u16 kTagOptional = 1;

enum HeaderTag : u16 {
  kTagEnd = 0,
  kTagInformationRequest = 1,
  kTagAddress = 2,
  kTagEntryAddress = 3,
  kTagConsoleFlags = 4,
  kTagFramebuffer = 5,
  kTagModuleAlign = 6,
  kTagEfiBootServices = 7,
  kTagEntryAddressEfi32 = 8,
  kTagEntryAddressEfi64 = 9,
  kTagRelocatable = 10,
};

constexpr u32 kConsoleRequired = 1;

// Boot information tag types we always provide (see multiboot2.cpp); 0 is
// the end tag, which needs no providing.
bool provided_info_tag(u32 type) {
  return type == 0 || type == 1 || type == 2 || type == 3 || type == 4 || type == 6 || type == 21;
}

const char* info_tag_name(u32 type) {
  switch (type) {
    case 5: return "BIOS boot device";
    case 7: return "VBE info";
    case 8: return "framebuffer info";
    case 9: return "ELF symbols";
    case 10: return "APM table";
    case 11: return "EFI 32-bit system table";
    case 12: return "EFI 64-bit system table";
    case 13: return "SMBIOS tables";
    case 14: return "ACPI old RSDP";
    case 15: return "ACPI new RSDP";
    case 16: return "networking information";
    case 17: return "EFI memory map";
    case 18: return "EFI boot services not terminated";
    case 19: return "EFI 32-bit image handle";
    case 20: return "EFI 64-bit image handle";
    default: return "unknown";
  }
}

// The minimum size of each header tag that carries fields.
u64 minimum_tag_size(u16 type) {
  switch (type) {
    case kTagAddress: return 24;
    case kTagEntryAddress:
    case kTagConsoleFlags:
    case kTagEntryAddressEfi32:
    case kTagEntryAddressEfi64: return 12;
    case kTagFramebuffer: return 20;
    case kTagRelocatable: return 24;
    default: return 8;
  }
}

}  // namespace

Multiboot2Header parse_multiboot2_header(const FileBytes& f, u64 at) {
  Multiboot2Header h;
  u32 arch = f.u32_at(at + 4, "Multiboot 2 architecture");
  if (arch != kArchitectureI386) {
    f.fail("the Multiboot 2 header is for architecture " + std::to_string(arch) + ", not i386 (0)");
  }
  h.size = f.u32_at(at + 8, "Multiboot 2 header_length");
  if (h.size < kFixedPartSize + 8) {
    f.fail("the Multiboot 2 header_length " + std::to_string(h.size) + " is too small to hold an end tag");
  }
  // Spec 3.1.1: the whole header lies in the first 32768 bytes.
  if (at + h.size > kMultiboot2SearchBytes || !f.contains(at, h.size)) {
    f.fail("the Multiboot 2 header at offset " + hex(at) + " with header_length " + hex(h.size) +
           " extends past the first 32768 bytes or the end of the file");
  }

  std::optional<AddressFields> address;
  u64 tag = at + kFixedPartSize;
  const u64 header_end = at + h.size;
  for (;;) {
    if (tag + 8 > header_end) f.fail("the Multiboot 2 header has no end tag within its header_length");
    u16 type = f.u16_at(tag, "header tag type");
    u16 flags = f.u16_at(tag + 2, "header tag flags");
    u32 size = f.u32_at(tag + 4, "header tag size");
    bool optional = flags & kTagOptional;
    std::string where = "Multiboot 2 header tag " + std::to_string(type) + " at offset " + hex(tag);
    if (size < minimum_tag_size(type)) {
      f.fail(where + " has size " + std::to_string(size) + ", less than the " +
             std::to_string(minimum_tag_size(type)) + " bytes it needs");
    }
    if (size > header_end - tag) f.fail(where + " with size " + std::to_string(size) + " runs past header_length");
    if (type == kTagEnd) break;

    switch (type) {
      case kTagInformationRequest:
        if (optional) break;
        for (u64 i = 8; i + 4 <= size; i += 4) {
          u32 wanted = f.u32_at(tag + i, "information request");
          if (!provided_info_tag(wanted)) {
            f.fail("the kernel requires boot information tag " + std::to_string(wanted) + " (" +
                   info_tag_name(wanted) + "), which vtlab does not provide");
          }
        }
        break;
      case kTagAddress: {
        AddressFields a;
        a.header_addr = f.u32_at(tag + 8, "address tag header_addr");
        a.load_addr = f.u32_at(tag + 12, "address tag load_addr");
        a.load_end_addr = f.u32_at(tag + 16, "address tag load_end_addr");
        a.bss_end_addr = f.u32_at(tag + 20, "address tag bss_end_addr");
        // Spec 3.1.5: load_addr -1 means "load from the beginning of the file".
        if (a.load_addr == 0xffffffff) {
          if (a.header_addr < at) {
            f.fail("address tag: header_addr " + hex(a.header_addr) + " is below the header's file offset " + hex(at) +
                   ", so load_addr -1 (start of file) would be below address 0");
          }
          a.load_addr = a.header_addr - at;
        }
        address = a;
        break;
      }
      case kTagEntryAddress:
        h.entry = f.u32_at(tag + 8, "entry address tag entry_addr");
        break;
      case kTagConsoleFlags:
        if (!optional && (f.u32_at(tag + 8, "console_flags") & kConsoleRequired)) {
          f.fail("the kernel requires a console (Multiboot 2 console flags tag); vtlab provides no EGA text or "
                 "framebuffer console information");
        }
        break;
      case kTagFramebuffer:
        if (!optional) {
          f.fail("the kernel requires a framebuffer (Multiboot 2 framebuffer tag not marked optional); vtlab "
                 "provides none");
        }
        break;
      case kTagModuleAlign:  // modules are always page-aligned
        break;
      case kTagEfiBootServices:
      case kTagEntryAddressEfi32:
      case kTagEntryAddressEfi64:
        // Spec 3.1.10-3.1.12: these only matter when booting from UEFI; this
        // machine boots like a BIOS, so (as GRUB for PC BIOS does) they are
        // ignored whether or not they are marked optional.
        break;
      case kTagRelocatable:
        h.relocatable = RelocatableRange{f.u32_at(tag + 8, "relocatable min_addr"),
                                         f.u32_at(tag + 12, "relocatable max_addr")};
        break;
      default:
        if (!optional) {
          f.fail(where + " is of a type vtlab does not know and is not marked optional");
        }
        break;
    }
    tag += *checked_align_up(size, kTagAlign);  // size < 2^32: cannot overflow
  }
  if (address) {
    // GRUB refuses this too: with an address tag there is no ELF entry to fall back on.
    if (!h.entry) f.fail("the Multiboot 2 header has an address tag but no entry address tag");
    address->entry_addr = *h.entry;
    h.address = address;
  }
  return h;
}

}  // namespace vtlab::loader

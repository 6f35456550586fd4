#include "core/machine/loader/address_fields.h"

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {

KernelLoad load_by_address_fields(const FileBytes& f, u64 header_offset, u64 header_size, const AddressFields& a,
                                  const char* source, u64 ram_size) {
  std::string src = source;
  if (a.load_addr > a.header_addr) {
    f.fail(src + ": load_addr " + hex(a.load_addr) + " is above header_addr " + hex(a.header_addr) +
           "; the text must start at or before the Multiboot header");
  }
  u64 header_in_text = a.header_addr - a.load_addr;
  if (header_in_text > header_offset) {
    f.fail(src + ": header_addr - load_addr = " + hex(header_in_text) + " but the header is at file offset " +
           hex(header_offset) + ", so the text would start before the beginning of the file");
  }
  u64 text_offset = header_offset - header_in_text;

  u64 load_size = 0;
  if (a.load_end_addr != 0) {
    if (a.load_end_addr < a.load_addr) {
      f.fail(src + ": load_end_addr " + hex(a.load_end_addr) + " is below load_addr " + hex(a.load_addr));
    }
    load_size = a.load_end_addr - a.load_addr;
    if (!f.contains(text_offset, load_size)) {
      f.fail(src + ": load_addr..load_end_addr asks for " + hex(load_size) + " bytes from file offset " +
             hex(text_offset) + " but the file has only " + hex(f.size()) + " bytes");
    }
  } else {
    load_size = f.size() - text_offset;  // header_offset < size, so no wrap
  }
  if (header_in_text + header_size > load_size) {
    f.fail(src + ": the Multiboot header (header_addr " + hex(a.header_addr) + ") is not inside the loaded range " +
           hex_range(a.load_addr, a.load_addr + load_size));
  }
  auto load_end = checked_add(a.load_addr, load_size);  // both < 2^32 + file size: cannot wrap, checked anyway
  if (!load_end) f.fail(src + ": load_addr + size wraps around");

  u64 bss_size = 0;
  if (a.bss_end_addr != 0) {
    if (a.bss_end_addr < *load_end) {
      f.fail(src + ": bss_end_addr " + hex(a.bss_end_addr) + " is below the end of the loaded data " + hex(*load_end));
    }
    bss_size = a.bss_end_addr - *load_end;
  }

  require_in_ram(f.name(), std::string("kernel (") + source + ")", a.load_addr, load_size + bss_size, ram_size);
  auto text = f.slice(text_offset, load_size, "kernel text and data");
  KernelLoad kernel;
  kernel.segments.push_back({a.load_addr, {text.begin(), text.end()}, bss_size, "kernel"});
  kernel.entry = a.entry_addr;
  return kernel;
}

}  // namespace vtlab::loader

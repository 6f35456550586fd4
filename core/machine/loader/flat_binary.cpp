#include "core/machine/loader/flat_binary.h"

#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/guest_ram.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {

constexpr u64 k1MiB = 0x100000;

BootImage load_flat_binary(const FileBytes& f, const BootOptions& opts) {
  // A flat binary has nowhere to receive them, so refuse rather than drop them.
  if (!opts.module_paths.empty()) f.fail("--module needs a Multiboot kernel; a --flat binary cannot receive modules");
  if (!opts.cmdline.empty()) f.fail("--cmdline needs a Multiboot kernel; a --flat binary cannot receive a command line");
  if (f.size() == 0) f.fail("is empty; there is nothing to run");

  auto end = checked_add(opts.flat_addr, f.size());
  if (!end) f.fail("--flat address " + hex(opts.flat_addr) + " plus the file size wraps around");
  require_in_ram(f.name(), "flat binary", opts.flat_addr, f.size(), opts.ram_size);

  BootImage image;
  image.protocol = "flat";
  image.entry = opts.flat_addr;
  if (*end <= k1MiB) {
    image.mode = StartMode::Real16;
  } else {
    image.mode = StartMode::Protected32;
    if (opts.flat_addr >= k4GiB) f.fail("--flat address " + hex(opts.flat_addr) + " is above 4 GiB; 32-bit code cannot start there");
  }
  image.blobs.push_back({opts.flat_addr, {f.all().begin(), f.all().end()}, 0, "flat binary"});
  return image;
}

}  // namespace vtlab::loader

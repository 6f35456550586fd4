// libFuzzer target for the kernel image parsers (Multiboot 1/2 headers, ELF,
// a.out kludge / address tag, boot information layout). The input is the
// image file; a module is attached so module placement is exercised too.
// Anything but a clean load or a vtlab::Error is a bug.
//   build: clang with -fsanitize=fuzzer,address,undefined (see CMakeLists.txt)
//   run:   ./fuzz_loader tests/loader/corpus -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/error.h"
#include "core/machine/loader/load_image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vtlab::BootOptions opts;
  opts.image_path = "fuzz.elf";
  opts.cmdline = "console=ttyS0";
  opts.module_paths = {"module.bin"};
  opts.ram_size = 64ull << 20;
  const std::vector<std::vector<vtlab::u8>> modules = {std::vector<vtlab::u8>(100, 0xab)};
  try {
    vtlab::load_image_from_bytes({data, size}, modules, opts);
  } catch (const vtlab::Error&) {
  }
  return 0;
}

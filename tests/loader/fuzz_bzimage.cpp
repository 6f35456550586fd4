// libFuzzer target for the Linux boot protocol loader: the input is the
// bzImage file, loaded with an initrd and a command line the way
// `vtlab run bzImage --initrd FILE --cmdline STR` would. It calls the
// bzImage loader directly, so every input exercises the setup header
// checks, kernel and initrd placement and boot_params. Anything but a
// clean load or a vtlab::Error is a bug.
//   build: clang with -fsanitize=fuzzer,address,undefined (see CMakeLists.txt)
//   run:   ./fuzz_bzimage tests/loader/corpus_bzimage -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/error.h"
#include "core/machine/loader/bzimage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vtlab::BootOptions opts;
  opts.image_path = "fuzz.bzImage";
  opts.cmdline = "console=ttyS0 root=/dev/ram0";
  opts.initrd_path = "initrd.img";
  opts.ram_size = 64ull << 20;
  static const std::vector<vtlab::u8> initrd(100, 0xab);
  try {
    vtlab::loader::FileBytes file(opts.image_path, {data, size});
    vtlab::loader::load_bzimage(file, initrd, opts);
  } catch (const vtlab::Error&) {
  }
  return 0;
}

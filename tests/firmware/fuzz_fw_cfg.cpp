// libFuzzer target for the fw_cfg register block: the input is a sequence
// of port reads and writes (any width, ports 0x510-0x51b) and DMA
// descriptors placed in a 64 KiB stand-in for RAM, as a guest that programs
// nonsense would issue them. Every outcome must be architected: no crash,
// and the data port reads 0 past an item's end.
//   build: clang with -fsanitize=fuzzer,address,undefined (CMakeLists.txt)
//   run:   ./fuzz_fw_cfg tests/firmware/corpus -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "devices/fw_cfg/fw_cfg.h"
#include "tests/firmware/fake_dma.h"

namespace {

struct Reader {
  const uint8_t* p;
  size_t n;
  uint64_t take(unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && n; ++i, ++p, --n) v |= uint64_t(*p) << (8 * i);
    return v;
  }
};

constexpr uint64_t kRamBase = 0x100000, kRamSize = 0x10000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  firmware_test::FakeDma mem(kRamBase, kRamSize);
  vtlab::PortBus bus;
  vtlab::FwCfg fw(&mem, 0x00f8);
  fw.attach(bus);
  fw.set_le(0x03, 64ull << 20, 8);
  fw.add_file("etc/e820", std::vector<uint8_t>(160, 0x11));
  fw.add_file("etc/big", std::vector<uint8_t>(100000, 0x22));
  static const unsigned kSizes[] = {1, 2, 4};
  Reader in{data, size};
  while (in.n) {
    const unsigned op = unsigned(in.take(1)) % 4;
    const uint16_t port = uint16_t(0x510 + in.take(1) % 12);
    const unsigned width = kSizes[in.take(1) % 3];
    switch (op) {
      case 0:
        bus.write(port, width, uint32_t(in.take(4)));
        break;
      case 1: {
        const vtlab::FwCfgView before = fw.view();
        const uint32_t v = bus.read(port, width);
        if (port == 0x511 && width == 1 && before.offset == fw.view().offset && v != 0)
          std::abort();  // past the end: 0
        break;
      }
      case 2: {  // guest stores into RAM (descriptors, anything)
        const uint64_t at = in.take(2) % (kRamSize - 8);
        const uint64_t v = in.take(8);
        for (int i = 0; i < 8; ++i) mem.at(kRamBase + at + i) = uint8_t(v >> (8 * i));
        break;
      }
      case 3: {  // a DMA transfer from a descriptor in RAM (or not)
        const uint64_t desc = in.take(1) & 1 ? kRamBase + in.take(2) % kRamSize : in.take(8);
        bus.write(0x514, 4, __builtin_bswap32(uint32_t(desc >> 32)));
        bus.write(0x518, 4, __builtin_bswap32(uint32_t(desc)));
        if (fw.view().dma_address != 0) std::abort();  // the register reads 0 after an operation
        break;
      }
    }
  }
  return 0;
}

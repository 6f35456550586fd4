// libFuzzer target: a guest programming nonsense into the legacy chipset
// (8259 pair with ELCR, 8254 with port 0x61, RTC/CMOS, i8042, reset
// registers, ACPI PM, x87 error latch) and snapshots made of garbage.
// See chipset_storm.h for the operations and the invariants.
//   fuzz_chipset -max_total_time=30 tests/devices/corpus
#include <cstdio>
#include <cstdlib>

#include "tests/devices/chipset_storm.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  if (const char* broken = vtlab::test::chipset_storm(data, size)) {
    std::fprintf(stderr, "chipset invariant broken: %s\n", broken);
    std::abort();
  }
  return 0;
}

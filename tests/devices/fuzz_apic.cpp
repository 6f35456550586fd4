// libFuzzer target: a guest programming nonsense into three local APICs
// (xAPIC pages, x2APIC MSRs, mode changes, IPIs), the IOAPIC and the HPET,
// with lines, INTA cycles, time and snapshots made of garbage. See
// apic_storm.h for the operations and the invariants.
//   fuzz_apic -max_total_time=30
#include <cstdio>
#include <cstdlib>

#include "tests/devices/apic_storm.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  if (const char* broken = vtlab::test::apic_storm(data, size)) {
    std::fprintf(stderr, "APIC invariant broken: %s\n", broken);
    std::abort();
  }
  return 0;
}

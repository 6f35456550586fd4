// libFuzzer target: a guest programming nonsense into PCI (mechanism #1,
// ECAM, BARs, the LPC bridge's PMBASE and routing, INTx, DMA) and
// snapshots made of garbage. See pci_storm.h for the operations and the
// invariants.
//   fuzz_pci -max_total_time=30 tests/pci/corpus
#include <cstdio>
#include <cstdlib>

#include "tests/pci/pci_storm.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  if (const char* broken = pci_test::pci_storm(data, size)) {
    std::fprintf(stderr, "PCI invariant broken: %s\n", broken);
    std::abort();
  }
  return 0;
}

// The PCI fuzz harness (pci_storm.h) on fixed pseudo-random inputs and on
// the seed corpus, so every build runs it; the libFuzzer target explores
// further (scripts/fuzz.sh).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tests/pci/pci_storm.h"

namespace {
std::string storm(const std::vector<vtlab::u8>& bytes) {
  const char* broken = pci_test::pci_storm(bytes.data(), bytes.size());
  return broken ? broken : "";
}
}  // namespace

TEST_CASE("a guest that programs nonsense into PCI: no crash, invariants hold") {
  std::mt19937_64 rng(20240606);
  for (int round = 0; round < 150; ++round) {
    CAPTURE(round);
    std::vector<vtlab::u8> bytes(4096);
    for (auto& b : bytes) b = vtlab::u8(rng());
    // Every third round keeps CONFIG_ADDRESS on one device and writes its
    // configuration space hard, as a driver gone wrong would.
    if (round % 3 == 1)
      for (std::size_t i = 0; i + 2 < bytes.size(); i += 7) bytes[i] = vtlab::u8(0x20 | (bytes[i] & 3));
    CHECK(storm(bytes) == "");
  }
}

TEST_CASE("the PCI fuzz seeds (tests/pci/corpus) run clean") {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(VTLAB_TEST_DATA) + "/corpus")) {
    CAPTURE(entry.path().string());
    std::ifstream f(entry.path(), std::ios::binary);
    const std::vector<vtlab::u8> bytes{std::istreambuf_iterator<char>(f), {}};
    CHECK(storm(bytes) == "");
    ++seeds;
  }
  CHECK(seeds >= 4);
}

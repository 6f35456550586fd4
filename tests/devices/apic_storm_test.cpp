// The APIC fuzz harness (apic_storm.h) on fixed pseudo-random inputs, so
// every build runs some hundred thousand nonsense operations on the local
// APICs, the IOAPIC and the HPET; the libFuzzer target explores further
// (scripts/fuzz.sh).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "tests/devices/apic_storm.h"

TEST_CASE("a guest that programs nonsense into the APICs and the HPET: no crash, invariants hold") {
  std::mt19937_64 rng(20240607);
  for (int round = 0; round < 150; ++round) {
    CAPTURE(round);
    std::vector<vtlab::u8> bytes(4096);
    for (auto& b : bytes) b = vtlab::u8(rng());
    // Some rounds stay on one kind of operation, as a buggy driver would.
    if (round % 3 == 1)
      for (std::size_t i = 0; i + 1 < bytes.size(); i += 9) bytes[i] = vtlab::u8((round % 16) << 4 | (bytes[i] & 15));
    const char* broken = vtlab::test::apic_storm(bytes.data(), bytes.size());
    CHECK(std::string(broken ? broken : "") == "");
  }
}

TEST_CASE("the APIC fuzz seeds (tests/devices/corpus_apic) run clean") {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(VTLAB_TEST_DATA) + "/corpus_apic")) {
    CAPTURE(entry.path().string());
    std::ifstream f(entry.path(), std::ios::binary);
    const std::vector<vtlab::u8> bytes{std::istreambuf_iterator<char>(f), {}};
    const char* broken = vtlab::test::apic_storm(bytes.data(), bytes.size());
    CHECK(std::string(broken ? broken : "") == "");
    ++seeds;
  }
  CHECK(seeds >= 3);
}

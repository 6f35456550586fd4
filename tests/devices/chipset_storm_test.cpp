// The chipset fuzz harness (chipset_storm.h) on fixed pseudo-random inputs,
// so every build runs a few hundred thousand nonsense operations; the
// libFuzzer target explores further (scripts/fuzz.sh).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/devices/chipset_storm.h"

TEST_CASE("a guest that programs nonsense into the chipset: no crash, invariants hold") {
  std::mt19937_64 rng(20240101);
  for (int round = 0; round < 200; ++round) {
    CAPTURE(round);
    std::vector<vtlab::u8> bytes(4096);
    for (auto& b : bytes) b = vtlab::u8(rng());
    // Half the rounds lean on writes to one device's ports, the way a buggy
    // driver would hammer its own chip.
    if (round % 2) {
      for (std::size_t i = 0; i + 1 < bytes.size(); i += 6) bytes[i + 1] = vtlab::u8(round * 7 % 40);
    }
    CHECK(std::string(vtlab::test::chipset_storm(bytes.data(), bytes.size())
                          ? vtlab::test::chipset_storm(bytes.data(), bytes.size())
                          : "") == "");
  }
}

TEST_CASE("the chipset fuzz seeds (tests/devices/corpus) run clean") {
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(VTLAB_TEST_DATA) + "/corpus")) {
    CAPTURE(entry.path().string());
    std::ifstream f(entry.path(), std::ios::binary);
    const std::vector<vtlab::u8> bytes{std::istreambuf_iterator<char>(f), {}};
    CHECK(std::string(vtlab::test::chipset_storm(bytes.data(), bytes.size())
                          ? vtlab::test::chipset_storm(bytes.data(), bytes.size())
                          : "") == "");
    ++seeds;
  }
  CHECK(seeds >= 6);
}

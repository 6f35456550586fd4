// Found by the hostile 64-bit guests of tests/robustness (seed 2652: 1 TiB
// of RAM, 973 chunks written; seed 1552: 6 GiB, 641 chunks): the state hash
// (which every run summary prints) reads every page of each 2 MiB chunk the
// guest wrote, so a guest that writes one byte per 2 MiB makes it read 2 MiB
// per write. On this host (whose kernel backs pages that are only read) the
// hash after 200k ticks grew the process by 2 GB and took 36 s; with --mem
// 1T a guest could make it read 400 GB. Hashing must cost what the guest
// wrote, not 512 times that.
#include <doctest/doctest.h>
#include <sys/resource.h>

#include <chrono>

#include "core/machine/machine.h"

namespace {

using namespace vtlab;

long max_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

TEST_CASE("the state hash costs what the guest wrote: one byte in each of 256 chunks of 1 TiB") {
  MachineConfig cfg;
  cfg.ram_bytes = u64(1) << 40;
  Machine m(cfg);
  const u64 stride = (cfg.ram_bytes - PhysMem::kHoleStart) / 256 & ~(PhysMem::kChunkSize - 1);
  for (u64 k = 0; k < 256; ++k) m.memory().write(PhysMem::kAbove4G + k * stride, 1, 0x80 | k);
  const long rss0 = max_rss_kib();
  const auto t0 = std::chrono::steady_clock::now();
  const u64 h = m.state_hash();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(max_rss_kib() - rss0 < 32 * 1024);  // 256 written pages are 1 MiB; their chunks are 512 MiB
  CHECK(secs < 2.0);
  m.memory().write(PhysMem::kAbove4G + 255 * stride + 8, 1, 0x5a);
  CHECK(m.state_hash() != h);  // and it still sees every write
}

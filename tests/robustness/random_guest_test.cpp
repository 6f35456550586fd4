// A guest may crash itself, never vtlab (DESIGN, standards): random bytes
// executed as code in real mode and in 32-bit protected mode, with devices
// attached, must end in an architected way (a limit, a halt, a triple fault,
// a debug exit, or a clear "unsupported" stop) without crashing the host,
// and the same guest must end in the same state twice. In the sanitizer
// build this also checks the odd paths for memory errors.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/machine/boot_image.h"
#include "core/machine/machine.h"

namespace {

using namespace vtlab;

struct Outcome {
  RunResult result;
  u64 state_hash;
};

Outcome run_random(u64 seed, StartMode mode) {
  std::mt19937_64 rng(seed);
  BootImage img;
  BootBlob code;
  code.addr = mode == StartMode::Real16 ? 0x7c00 : 0x100000;
  code.bytes.resize(64 * 1024);
  for (auto& b : code.bytes) b = u8(rng());
  code.what = "random code";
  img.blobs.push_back(code);
  // Random data where real-mode code tends to look: the IVT and low memory.
  BootBlob low;
  low.addr = 0x500;
  low.bytes.resize(0x7000);
  for (auto& b : low.bytes) b = u8(rng());
  low.what = "random data";
  img.blobs.push_back(low);
  img.mode = mode;
  img.entry = code.addr;
  MachineConfig cfg;
  cfg.ram_bytes = 16u << 20;
  Machine m(cfg);
  m.load(img);
  RunResult r = m.run(200'000);
  return {r, m.state_hash()};
}

}  // namespace

TEST_CASE("random code never crashes the emulator") {
  // VTLAB_RANDOM_GUESTS overrides the number of seeds for a longer soak run.
  const char* env = std::getenv("VTLAB_RANDOM_GUESTS");
  const u64 seeds = env ? u64(std::atoll(env)) : 60;
  int ends[16] = {};  // by RunEnd
  for (u64 seed = 1; seed <= seeds; ++seed) {
    for (StartMode mode : {StartMode::Real16, StartMode::Protected32}) {
      Outcome o = run_random(seed, mode);
      CAPTURE(seed);
      CHECK(o.result.instructions <= 200'000);
      ++ends[int(o.result.end)];
      // Odd paths are deterministic too: every fifth guest runs twice.
      if (seed % 5 == 0) {
        Outcome again = run_random(seed, mode);
        CHECK(again.state_hash == o.state_hash);
        CHECK(again.result.instructions == o.result.instructions);
      }
    }
  }
  std::fprintf(stderr, "random guests: debug-exit %d, limit %d, halted %d, triple fault %d, unsupported %d\n",
               ends[int(RunEnd::DebugExit)], ends[int(RunEnd::InsnLimit)], ends[int(RunEnd::Halted)],
               ends[int(RunEnd::TripleFault)], ends[int(RunEnd::Unsupported)]);
}

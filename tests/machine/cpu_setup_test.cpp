// What the machine sets up in the CPU before the guest runs: the topology
// CPUID reports follows the vCPU count the firmware tables describe, and
// the MTRRs are programmed as a BIOS would (SDM Vol. 3A §11.11; Linux keeps
// the PAT only with MTRRs enabled).
#include <doctest/doctest.h>

#include "core/machine/platform_layout.h"
#include "cpu/msr_table.h"
#include "tests/machine/guest.h"

using namespace vtlab;
using machine_test::code_at;

namespace {

struct Regs {
  u32 a, b, c, d;
};
Regs cpuid(Cpu& cpu, u32 leaf, u32 sub = 0) {
  u32 r[4];
  cpu.cpuid(leaf, sub, r);
  return {r[0], r[1], r[2], r[3]};
}

u64 msr(Cpu& cpu, u32 index) {
  u64 v = 0;
  REQUIRE(cpu.read_msr(index, v));
  return v;
}

}  // namespace

TEST_CASE("CPUID's topology leaves count the machine's vCPUs: leaves 1, 4, 0BH and 1FH agree") {
  for (unsigned cpus : {1u, 2u, 3u, 4u, 8u, platform::kMaxCpus}) {
    CAPTURE(cpus);
    MachineConfig cfg;
    cfg.cpus = cpus;
    Machine m(cfg);
    Cpu& c = m.cpu();
    unsigned width = 0;  // bits of APIC ID that number the cores
    while ((1u << width) < cpus) ++width;
    const Regs one = cpuid(c, 1);
    CHECK((one.b >> 24) == 0);  // vCPU 0: APIC ID 0
    CHECK(((one.b >> 16) & 0xff) == (1u << width));
    CHECK(bool(one.d & (1u << 28)) == (cpus > 1));  // HTT
    CHECK((cpuid(c, 4, 0).a >> 26) == (1u << width) - 1);
    CHECK(((cpuid(c, 4, 3).a >> 14) & 0xfff) == (1u << width) - 1);  // the L3: every core
    for (u32 leaf : {0xbu, 0x1fu}) {
      CAPTURE(leaf);
      const Regs smt = cpuid(c, leaf, 0), core = cpuid(c, leaf, 1), end = cpuid(c, leaf, 2);
      CHECK(smt.b == 1);
      CHECK(((smt.c >> 8) & 0xff) == 1);  // level type SMT
      CHECK(core.a == width);
      CHECK(core.b == cpus);
      CHECK(((core.c >> 8) & 0xff) == 2);  // level type core
      CHECK(((end.c >> 8) & 0xff) == 0);   // no more levels
    }
  }
}

TEST_CASE("the machine programs the MTRRs as a BIOS does: enabled, write-back by default, device memory uncacheable") {
  Machine m{MachineConfig{}};
  m.load(code_at(0x100000, machine_test::kSpin));
  Cpu& c = m.cpu();
  using namespace msr_index;
  CHECK(msr(c, kMtrrDefType) == 0xc06);  // MTRRs and fixed ranges enabled, default WB
  CHECK(msr(c, kMtrrFix64k) == 0x0606060606060606ull);
  CHECK(msr(c, kMtrrFix16k80000) == 0x0606060606060606ull);
  CHECK(msr(c, kMtrrFix16kA0000) == 0);  // the VGA window: UC
  CHECK(msr(c, kMtrrFix4kC0000) == 0);
  CHECK(msr(c, kMtrrFix4kF8000) == 0x0606060606060606ull);
  // Variable ranges: the ECAM window and the 32-bit MMIO hole, UC.
  CHECK(msr(c, kMtrrPhysBase0) == platform::kEcamBase);
  CHECK(msr(c, kMtrrPhysBase0 + 1) == (((~(platform::kEcamSize - 1)) & ((u64(1) << 46) - 1)) | 0x800));
  CHECK(msr(c, kMtrrPhysBase0 + 2) == platform::kMmioHoleStart);
  CHECK(msr(c, kMtrrPhysBase0 + 3) == 0x3fffc0000800ull);  // 1 GiB, valid
  CHECK(msr(c, kMtrrPhysBase0 + 4) == 0);
  CHECK((msr(c, kMtrrPhysBase0 + 5) & 0x800) == 0);  // the rest unused
  CHECK(msr(c, kPat) == 0x0007040600070406ull);      // the PAT keeps its power-on value
}

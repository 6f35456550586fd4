// Found by the hostile 64-bit guests of tests/robustness (seeds 147, 323,
// 341, 662: INT3 sleds with the trap flag set): a run with the trap flag set
// could end one tick past its limit, because the single-step #DB after the
// last instruction the limit allowed was delivered anyway (a delivery is a
// tick of virtual time, docs/architecture.md "Virtual time"). The trap is
// pending at that instruction boundary (SDM Vol. 3B §17.3.1.4: a trap after
// the instruction); it belongs to the next run, so that ending a run at the
// limit and resuming it is the same as one longer run.
#include <doctest/doctest.h>

#include "tests/support/cpu_rig.h"

namespace {

using namespace vtlab;
using namespace vtlab::testing;

// NOPs stepped with TF=1; the #DB handler is IRETQ, which keeps TF set.
struct SteppedNops : LongModeRig {
  SteppedNops() {
    gate(kDB, 0x40000);
    put(0x40000, {0x48, 0xcf});  // iretq
    std::vector<u8> nops(64, 0x90);
    mem.write_block(0x20000, nops.data(), nops.size());
    cpu.rip = 0x20000;
    cpu.flags.set(fl::kFixed1 | fl::TF);
  }
};

}  // namespace

TEST_CASE("with the trap flag set, a run never passes its limit") {
  SteppedNops r;
  const u64 start = r.cpu.icount();
  CHECK(r.step(1) == StopCause::InsnLimit);
  CHECK(r.cpu.icount() == start + 1);  // the NOP; its #DB is not delivered in this run
  CHECK(r.cpu.rip == 0x20001);
}

TEST_CASE("with the trap flag set, a run cut at its limit and resumed equals one run") {
  SteppedNops whole, split;
  whole.step(6);  // NOP, #DB, IRETQ, NOP, #DB, IRETQ
  split.step(1);
  split.step(5);
  CHECK(split.cpu.icount() == whole.cpu.icount());
  CHECK(split.cpu.rip == whole.cpu.rip);
  CHECK(split.cpu.deliveries() == whole.cpu.deliveries());
  CHECK(split.cpu.gpr[RSP] == whole.cpu.gpr[RSP]);
}

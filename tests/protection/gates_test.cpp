// Far CALL/JMP/RET through call gates (SDM Vol. 3A §5.8; Vol. 2 CALL, JMP,
// RET): the privilege change with the stack from the TSS and parameter
// copying, the return to the outer level, and each check a gate transfer
// makes, with its architected fault and error code.
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(callgate_caller32);
SNIPPET(jmpgate32);
SNIPPET(lret8_32);
SNIPPET(ud2_32);

void load(CpuRig& r, u64 at, const u8* b, const u8* e) { r.mem.write_block(at, b, size_t(e - b)); }

// User code at 0x10000 calls gate 0x30 (RPL 3) -> CPL 0 code at 0x11000.
struct GateRig : Prot32Rig {
  explicit GateRig(u32 gate_dpl = 3, unsigned params = 2) {
    desc(0x30, gate_desc(0x08, 0x11000, 0xc, gate_dpl, params));
    load(0x10000, callgate_caller32, callgate_caller32_end);
    load(0x11000, ud2_32, ud2_32_end);
    enter_user(0x10000, 0x80000);
  }
};

}  // namespace

TEST_CASE("CALL through a call gate to CPL 0: TSS stack, copied parameters, the outer SS:ESP and CS:EIP") {
  GateRig r;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  REQUIRE(f->vector == kUD);
  CHECK(r.cpu.rip == 0x11000);
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(r.cpu.seg[SS].selector == 0x10);  // SS0 from the TSS
  const u64 sp = Prot32Rig::kKernelStack - 24;
  CHECK(r.cpu.gpr[RSP] == sp);
  CHECK(r.get(sp + 0, 4) == 0x10000 + 17);  // return EIP: after two 5-byte PUSHes and the 7-byte LCALL
  CHECK(r.get(sp + 4, 4) == 0x1b);          // caller CS
  CHECK(r.get(sp + 8, 4) == 0x2222);        // parameters, in the caller's order
  CHECK(r.get(sp + 12, 4) == 0x1111);
  CHECK(r.get(sp + 16, 4) == 0x80000 - 8);  // caller ESP
  CHECK(r.get(sp + 20, 4) == 0x23);         // caller SS
}

TEST_CASE("RET n to the outer level pops CS:EIP, releases the parameters on both stacks, reloads SS:ESP") {
  GateRig r;
  load(r, 0x11000, lret8_32, lret8_32_end);
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kUD);
  CHECK(r.cpu.rip == 0x10000 + 17);
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.seg[CS].selector == 0x1b);
  CHECK(r.cpu.seg[SS].selector == 0x23);
  CHECK(r.cpu.gpr[RSP] == 0x80000);  // the caller's two parameters released
}

TEST_CASE("RET to an outer level nulls data segment registers the new CPL may not use") {
  GateRig r;
  load(r, 0x11000, lret8_32, lret8_32_end);
  r.run_to_exception(3);  // through the gate: now at CPL 0, before the RET
  REQUIRE(r.cpu.cpl == 0);
  r.cpu.load_segment(DS, 0x10);  // a DPL 0 data segment
  r.cpu.load_segment(ES, 0x23);
  r.run_to_exception();
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.seg[DS].selector == 0);
  CHECK((r.cpu.seg[DS].attr & ar::Unusable) != 0);
  CHECK(r.cpu.seg[ES].selector == 0x23);
}

TEST_CASE("call gate checks: DPL, presence, target code segment, TSS stack; each faults with its error code") {
  SUBCASE("gate DPL 0 < CPL 3: #GP(gate)") {
    GateRig r(0);
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kGP);
    CHECK(f->error == 0x30);
    CHECK(r.cpu.cpl == 3);
    CHECK(r.cpu.gpr[RSP] == 0x80000 - 8);  // nothing popped or pushed
  }
  SUBCASE("gate not present: #NP(gate)") {
    GateRig r;
    r.desc(0x30, gate_desc(0x08, 0x11000, 0xc, 3, 2) & ~(u64(0x80) << 40));
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kNP);
    CHECK(f->error == 0x30);
  }
  SUBCASE("target is a data segment: #GP(code selector)") {
    GateRig r;
    r.desc(0x30, gate_desc(0x10, 0x11000, 0xc, 3, 2));
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kGP);
    CHECK(f->error == 0x10);
  }
  SUBCASE("target code segment not present: #NP(code selector)") {
    GateRig r;
    r.desc(0x48, seg_desc(0, 0xfffff, 0x1a, kFlagG | kFlagDB));  // code, P=0
    r.desc(0x30, gate_desc(0x48, 0x11000, 0xc, 3, 2));
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kNP);
    CHECK(f->error == 0x48);
  }
  SUBCASE("null SS0 in the TSS: #TS(0)") {
    GateRig r;
    r.put32(Prot32Rig::kTss + 8, 0);
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kTS);
    CHECK(f->error == 0);
    CHECK(r.cpu.cpl == 3);
  }
  SUBCASE("SS0 with the wrong DPL: #TS(SS0)") {
    GateRig r;
    r.put32(Prot32Rig::kTss + 8, 0x20);  // the DPL 3 data segment, RPL 0
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kTS);
    CHECK(f->error == 0x20);
  }
  SUBCASE("SS0 not present: #SS(SS0)") {
    GateRig r;
    r.desc(0x50, seg_desc(0, 0xfffff, 0x12, kFlagG | kFlagDB));  // data, P=0
    r.put32(Prot32Rig::kTss + 8, 0x50);
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kSS);
    CHECK(f->error == 0x50);
  }
  SUBCASE("new stack too small for the frame: #SS(SS0)") {
    GateRig r;
    r.desc(0x50, seg_desc(0, 0x8ffef, 0x92, kFlagDB));  // byte-granular limit just below ESP0
    r.put32(Prot32Rig::kTss + 8, 0x50);
    r.put32(Prot32Rig::kTss + 4, 0x8fff8);
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    CHECK(f->vector == kSS);
    CHECK(f->error == 0x50);
  }
}

TEST_CASE("JMP through a call gate may not raise the privilege: #GP(code selector); to the same level it jumps") {
  GateRig r;
  load(r, 0x10000, jmpgate32, jmpgate32_end);
  r.cpu.rip = 0x10000;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kGP);
  CHECK(f->error == 0x08);
  GateRig s;
  s.desc(0x30, gate_desc(0x18, 0x11000, 0xc, 3));  // to the user code segment
  load(s, 0x10000, jmpgate32, jmpgate32_end);
  s.cpu.rip = 0x10000;
  f = s.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kUD);
  CHECK(s.cpu.rip == 0x11000);
  CHECK(s.cpu.seg[CS].selector == 0x1b);
  CHECK(s.cpu.gpr[RSP] == 0x80000);  // nothing pushed
}

TEST_CASE("64-bit call gate from compatibility-mode CPL 3 to 64-bit CPL 0: RSP0, 8-byte frame, null SS") {
  LongModeRig r;
  // 16-byte call gate at 0x40 (GDT limit 0x3f in the rig: extend it).
  r.cpu.gdtr.limit = 0x4f;
  const u64 target = 0x41000;
  r.put64(LongModeRig::kGdt + 0x40, gate_desc(0x08, u32(target), 0xc, 3));
  r.put64(LongModeRig::kGdt + 0x48, target >> 32);
  r.put(0x41000, {0x0f, 0x0b});
  // lcall $0x43, $0 (32-bit code): 9a 00 00 00 00 43 00
  r.put(0x20000, {0x9a, 0, 0, 0, 0, 0x43, 0x00, 0x0f, 0x0b});
  r.enter_user(0x20000, 0x30000, 0x1b);
  REQUIRE(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == 0x41000);
  CHECK(r.cpu.long64());
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.seg[SS].selector == 0);
  const u64 sp = LongModeRig::kKernelStack - 32;
  CHECK(r.cpu.gpr[RSP] == sp);
  CHECK(r.get(sp, 8) == 0x20007);   // RIP
  CHECK(r.get(sp + 8, 8) == 0x1b);  // CS
  CHECK(r.get(sp + 16, 8) == 0x30000);
  CHECK(r.get(sp + 24, 8) == 0x23);
  // A gate whose upper half has a nonzero type is #GP(gate).
  LongModeRig b;
  b.cpu.gdtr.limit = 0x4f;
  b.put64(LongModeRig::kGdt + 0x40, gate_desc(0x08, u32(target), 0xc, 3));
  b.put64(LongModeRig::kGdt + 0x48, u64(0xc) << 40);
  b.put(0x20000, {0x9a, 0, 0, 0, 0, 0x43, 0x00, 0x0f, 0x0b});
  b.enter_user(0x20000, 0x30000, 0x1b);
  CHECK(run_to_exception(b) == kGP);
  CHECK(b.cpu.intercepted_exception().error == 0x40);
}

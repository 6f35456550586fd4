// Loading data and stack segment registers in protected mode (SDM Vol. 2
// MOV, POP; Vol. 3A §5.4-5.7): the selector within the table (#GP(sel)),
// an LDT selector with no LDT, system and execute-only code descriptors
// (#GP(sel)), the privilege rule max(CPL, RPL) <= DPL except for
// conforming code, presence (#NP(sel), #SS(sel) for SS), SS's own rules
// (RPL = DPL = CPL, writable data, never null outside 64-bit mode), the
// accessed bit, and the null SS 64-bit mode allows below CPL 3.
#include <string>

#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(movds32);
SNIPPET(movss32);
SNIPPET(popds32);
SNIPPET(movss_ax64);

constexpr u16 kSlot = 0x30;  // the descriptor under test
constexpr u32 kFlags = kFlagG | kFlagDB;

struct Row {
  const char* what;
  bool ss;  // load SS (else DS)
  u16 selector;
  u32 access;  // access byte of the descriptor at kSlot (0: leave the slot empty)
  bool user;   // run at CPL 3
  int vector;  // -1: the load succeeds
  u32 error;
};

const Row kRows[] = {
    {"null selector into DS", false, 0x0000, 0, false, -1, 0},
    {"selector beyond the GDT limit", false, 0x0400, 0, false, kGP, 0x400},
    {"LDT selector while LDTR is null", false, 0x0034, 0x92, false, kGP, 0x34},
    {"TSS descriptor into DS", false, kSlot, 0x89, false, kGP, kSlot},
    {"execute-only code into DS", false, kSlot, 0x98, false, kGP, kSlot},
    {"readable code into DS", false, kSlot, 0x9a, false, -1, 0},
    {"data not present", false, kSlot, 0x12, false, kNP, kSlot},
    {"DPL 0 data from CPL 3", false, kSlot | 3, 0x92, true, kGP, kSlot},
    {"DPL 3 data from CPL 0", false, kSlot, 0xf2, false, -1, 0},
    {"RPL 3 above DPL 0 at CPL 0", false, kSlot | 3, 0x92, false, kGP, kSlot},
    {"conforming readable code, DPL 0, from CPL 3", false, kSlot | 3, 0x9e, true, -1, 0},
    {"null SS outside 64-bit mode", true, 0x0000, 0, false, kGP, 0},
    {"SS with RPL != CPL", true, kSlot | 3, 0xf2, false, kGP, kSlot},
    {"SS with DPL != CPL", true, kSlot, 0xf2, false, kGP, kSlot},
    {"read-only data into SS", true, kSlot, 0x90, false, kGP, kSlot},
    {"code into SS", true, kSlot, 0x9a, false, kGP, kSlot},
    {"SS not present: #SS, not #NP", true, kSlot, 0x12, false, kSS, kSlot},
    {"writable data, DPL = RPL = CPL, into SS", true, kSlot, 0x92, false, -1, 0},
};

}  // namespace

TEST_CASE("MOV to DS and SS: every descriptor check with its fault and error code") {
  for (const Row& row : kRows) {
    const std::string what = row.what;
    CAPTURE(what);
    Prot32Rig r;
    if (row.access) r.desc(kSlot, seg_desc(0x1000, 0xfffff, row.access, kFlags));
    const u8* b = row.ss ? movss32 : movds32;
    r.load(Prot32Rig::kCode, b, row.ss ? movss32_end : movds32_end);
    r.cpu.rip = Prot32Rig::kCode;
    if (row.user) r.enter_user(u32(Prot32Rig::kCode), u32(Prot32Rig::kUserStack));
    r.cpu.gpr[RAX] = row.selector;
    const unsigned s = row.ss ? SS : DS;
    const Segment before = r.cpu.seg[s];
    const GuestFault* f = r.run_to_exception();
    REQUIRE(f);
    if (row.vector < 0) {
      CHECK(f->vector == kUD);  // ran to the UD2
      CHECK(r.cpu.seg[s].selector == row.selector);
      if (row.selector & 0xfffc) {
        CHECK(r.cpu.seg[s].base == 0x1000);
        CHECK(((r.get(Prot32Rig::kGdt + kSlot, 8) >> 40) & 1) == 1);  // accessed bit set in the GDT
      } else {
        CHECK((r.cpu.seg[s].attr & ar::Unusable) != 0);
      }
    } else {
      CHECK(f->vector == row.vector);
      CHECK(f->error == row.error);
      CHECK(r.cpu.rip == Prot32Rig::kCode);
      CHECK(r.cpu.seg[s].selector == before.selector);
      if (row.access & 0x10) CHECK(((r.get(Prot32Rig::kGdt + kSlot, 8) >> 40) & 1) == 0);  // not marked accessed
    }
  }
}

TEST_CASE("POP DS that faults leaves ESP where it was") {
  Prot32Rig r;
  r.desc(kSlot, seg_desc(0, 0xfffff, 0x12, kFlags));  // not present
  r.load(Prot32Rig::kCode, popds32, popds32_end);
  r.cpu.rip = Prot32Rig::kCode;
  r.cpu.gpr[RAX] = kSlot;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kNP);
  CHECK(f->error == kSlot);
  CHECK(r.cpu.rip == Prot32Rig::kCode + 1);              // the POP
  CHECK(r.cpu.gpr[RSP] == Prot32Rig::kKernelStack - 4);  // the PUSH happened, the POP did not
}

TEST_CASE("64-bit mode: a null SS is allowed below CPL 3 with RPL = CPL; otherwise #GP(0)") {
  struct Case {
    u16 selector;
    bool user;
    bool ok;
  };
  for (const Case& c : {Case{0, false, true}, Case{3, false, false}, Case{3, true, false}, Case{0, true, false}}) {
    CAPTURE(c.selector);
    CAPTURE(c.user);
    LongModeRig r;
    r.mem.write_block(0x20000, movss_ax64, size_t(movss_ax64_end - movss_ax64));
    r.cpu.rip = 0x20000;
    if (c.user) r.enter_user(0x20000, 0x30000);
    r.cpu.gpr[RAX] = c.selector;
    const int v = run_to_exception(r);
    if (c.ok) {
      CHECK(v == kUD);
      CHECK(r.cpu.seg[SS].selector == c.selector);
      CHECK((r.cpu.seg[SS].attr & ar::Unusable) != 0);
      CHECK(r.cpu.seg[SS].dpl() == r.cpu.cpl);
    } else {
      CHECK(v == kGP);
      CHECK(r.cpu.intercepted_exception().error == 0);
    }
  }
}

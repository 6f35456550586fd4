// System instructions: SYSENTER/SYSEXIT, RD/WR{FS,GS}BASE, RDPID,
// RDRAND/RDSEED through the entropy source, LAR/LSL/VERR/VERW, UMIP, and
// #AC alignment checking (SDM Vol. 2 for each instruction; Vol. 3A §2.5
// UMIP, §6.15 #AC).
#include "cpu/msr_table.h"
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(sysenter32);
SNIPPET(sysexit32);
SNIPPET(sysenter64);
SNIPPET(sysexitq);
SNIPPET(rdfsbase64);
SNIPPET(fsgsbase64);
SNIPPET(wrgsbase64);
SNIPPET(rdpid64);
SNIPPET(rdrand64);
SNIPPET(inspect32);
SNIPPET(sgdt64);
SNIPPET(smsw64);
SNIPPET(misaligned64);
SNIPPET(aligned64);
SNIPPET(set_ac_then_load64);

void load(CpuRig& r, u64 at, const u8* b, const u8* e) { r.mem.write_block(at, b, size_t(e - b)); }

struct EmptyEntropy : EntropySource {
  bool next(u64&) override { return false; }
};

}  // namespace

TEST_CASE("SYSENTER/SYSEXIT in 32-bit protected mode: flat segments from IA32_SYSENTER_CS") {
  Prot32Rig r;
  r.cpu.msr.sysenter_cs = 0x08;
  r.cpu.msr.sysenter_esp = 0x8f000;
  r.cpu.msr.sysenter_eip = 0x11000;
  load(r, 0x10000, sysenter32, sysenter32_end);
  load(r, 0x11000, sysexit32, sysexit32_end);
  r.enter_user(0x10000, 0x80000);
  r.cpu.flags.set(fl::kFixed1 | fl::IF);
  r.step(1);
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(r.cpu.seg[SS].selector == 0x10);
  CHECK(r.cpu.rip == 0x11000);
  CHECK(r.cpu.gpr[RSP] == 0x8f000);
  CHECK(!(r.cpu.rflags() & fl::IF));  // SYSENTER clears IF
  CHECK(r.cpu.code_size() == 4);
  r.cpu.gpr[RCX] = 0x7fff0;  // user ESP
  r.cpu.gpr[RDX] = 0x10040;  // user EIP
  r.step(1);
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.seg[CS].selector == 0x1b);  // SYSENTER_CS + 16, RPL 3
  CHECK(r.cpu.seg[SS].selector == 0x23);  // SYSENTER_CS + 24, RPL 3
  CHECK(r.cpu.seg[CS].dpl() == 3);
  CHECK(r.cpu.rip == 0x10040);
  CHECK(r.cpu.gpr[RSP] == 0x7fff0);
}

TEST_CASE("SYSENTER with IA32_SYSENTER_CS null, and SYSEXIT at CPL 3, raise #GP(0)") {
  Prot32Rig r;
  load(r, 0x10000, sysenter32, sysenter32_end);
  r.cpu.rip = 0x10000;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kGP);
  CHECK(f->error == 0);
  Prot32Rig u;
  u.cpu.msr.sysenter_cs = 0x08;
  load(u, 0x10000, sysexit32, sysexit32_end);
  u.enter_user(0x10000, 0x80000);
  f = u.run_to_exception();
  REQUIRE(f);
  CHECK(f->vector == kGP);
  CHECK(u.cpu.cpl == 3);
}

TEST_CASE("SYSENTER in IA-32e mode enters 64-bit code; SYSEXIT with REX.W returns to 64-bit user code") {
  LongModeRig r;
  r.cpu.msr.sysenter_cs = 0x08;
  r.cpu.msr.sysenter_esp = 0x8f000;
  r.cpu.msr.sysenter_eip = 0x41000;
  load(r, 0x20000, sysenter64, sysenter64_end);
  load(r, 0x41000, sysexitq, sysexitq_end);
  r.enter_user(0x20000, 0x30000, 0x1b);  // compatibility-mode caller
  r.step(1);
  CHECK(r.cpu.long64());
  CHECK(r.cpu.cpl == 0);
  CHECK(r.cpu.rip == 0x41000);
  r.cpu.gpr[RCX] = 0x31000;
  r.cpu.gpr[RDX] = 0x21000;
  r.step(1);
  CHECK(r.cpu.long64());
  CHECK(r.cpu.cpl == 3);
  CHECK(r.cpu.seg[CS].selector == 0x2b);  // SYSENTER_CS + 32, RPL 3
  CHECK(r.cpu.seg[SS].selector == 0x33);  // SYSENTER_CS + 40, RPL 3
  CHECK(r.cpu.rip == 0x21000);
  CHECK(r.cpu.gpr[RSP] == 0x31000);
  // A non-canonical return address is #GP(0) before anything changes.
  LongModeRig g;
  g.cpu.msr.sysenter_cs = 0x08;
  load(g, 0x41000, sysexitq, sysexitq_end);
  g.cpu.rip = 0x41000;
  g.cpu.gpr[RDX] = 0x8000000000000000ull;
  CHECK(run_to_exception(g) == kGP);
  CHECK(g.cpu.cpl == 0);
}

TEST_CASE("RD/WR{FS,GS}BASE: #UD without CR4.FSGSBASE, base access with it, #GP(0) on a non-canonical base") {
  LongModeRig r;
  load(r, 0x20000, rdfsbase64, rdfsbase64_end);
  r.cpu.rip = 0x20000;
  CHECK(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == 0x20000);
  r.cpu.write_cr(4, r.cpu.cr4 | cr4::FSGSBASE);
  load(r, 0x20000, fsgsbase64, fsgsbase64_end);
  r.cpu.rip = 0x20000;
  r.cpu.gpr[RAX] = 0x0000123456789abcull;
  r.cpu.gpr[RBX] = 0xffffffff87654321ull;
  r.cpu.gpr[RDX] = ~u64(0);
  run_to_exception(r);
  CHECK(r.cpu.seg[FS].base == 0x0000123456789abcull);
  CHECK(r.cpu.seg[GS].base == 0x87654321);  // 32-bit source: zero-extended
  CHECK(r.cpu.gpr[RCX] == 0x87654321);
  CHECK(r.cpu.gpr[RDX] == 0x56789abc);  // 32-bit destination
  load(r, 0x20000, wrgsbase64, wrgsbase64_end);
  r.cpu.rip = 0x20000;
  r.cpu.gpr[RAX] = 0x0000800000000000ull;
  CHECK(run_to_exception(r) == kGP);
  CHECK(r.cpu.seg[GS].base == 0x87654321);
  // Also from CPL 3 (no privilege needed).
  r.enter_user(0x20000, 0x30000);
  load(r, 0x20000, rdfsbase64, rdfsbase64_end);
  CHECK(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == 0x20005);  // ran to the UD2 after it
  CHECK(r.cpu.gpr[RAX] == 0x0000123456789abcull);
}

TEST_CASE("RDPID reads IA32_TSC_AUX") {
  LongModeRig r;
  REQUIRE(r.cpu.write_msr(msr_index::kTscAux, 0x1234));
  load(r, 0x20000, rdpid64, rdpid64_end);
  r.enter_user(0x20000, 0x30000);
  r.cpu.gpr[RAX] = ~u64(0);
  run_to_exception(r);
  CHECK(r.cpu.gpr[RAX] == 0x1234);
}

TEST_CASE("RDRAND/RDSEED read the entropy source: the default is a fixed sequence; an empty source gives CF=0") {
  LongModeRig r;
  load(r, 0x20000, rdrand64, rdrand64_end);
  r.cpu.rip = 0x20000;
  r.cpu.gpr[RSI] = 0xffffffffffffffffull;
  run_to_exception(r);
  DeterministicEntropy expected;
  u64 a, b, c;
  expected.next(a), expected.next(b), expected.next(c);
  CHECK(r.cpu.gpr[RAX] == a);
  CHECK(r.cpu.gpr[RCX] == u32(b));  // 32-bit destination: zero-extended
  CHECK((r.cpu.gpr[RSI] & 0xffff) == (c & 0xffff));
  CHECK((r.cpu.gpr[RSI] >> 16) == 0xffffffffffffull);  // 16-bit destination: the rest kept
  CHECK((r.cpu.gpr[RBX] & 0xff) == 1);                 // CF=1: valid
  CHECK((r.cpu.gpr[RDX] & 0xff) == 1);
  CHECK(a != b);
  EmptyEntropy empty;
  r.cpu.set_entropy(&empty);
  r.cpu.rip = 0x20000;
  run_to_exception(r);
  CHECK(r.cpu.gpr[RAX] == 0);
  CHECK((r.cpu.gpr[RBX] & 0xff) == 0);
  CHECK(!r.cpu.flags.cf());
  CHECK(!r.cpu.flags.zf());
}

namespace {

struct Inspect {
  u32 lar;
  bool lar_ok;
  u32 lsl;
  bool lsl_ok, verr, verw;
};

Inspect inspect(Prot32Rig& r, u16 sel, bool user = false) {
  load(r, 0x10000, inspect32, inspect32_end);
  if (user)
    r.enter_user(0x10000, 0x80000);
  else
    r.cpu.rip = 0x10000;
  r.cpu.gpr[RBX] = sel;
  const GuestFault* f = r.run_to_exception();
  REQUIRE(f);
  REQUIRE(f->vector == kUD);
  const u64* g = r.cpu.gpr;
  return {u32(g[RAX]), (g[RCX] & 0xff) != 0, u32(g[RDX]), ((g[RCX] >> 8) & 0xff) != 0, g[RSI] == 1, g[RDI] == 1};
}

}  // namespace

TEST_CASE("LAR/LSL/VERR/VERW check type, DPL against CPL and RPL, and the table limit, without faulting") {
  Prot32Rig r;
  r.desc(0x30, seg_desc(0x1000, 0xfff, 0x92, 0));              // data, DPL 0, byte limit
  r.desc(0x38, seg_desc(0, 0xfffff, 0x98, kFlagG | kFlagDB));  // execute-only code
  r.desc(0x40, seg_desc(0, 0xfffff, 0x9e, kFlagG | kFlagDB));  // conforming readable code, DPL 0
  r.desc(0x48, gate_desc(0x08, 0x1234, 0xc, 3));               // 32-bit call gate, DPL 3
  r.desc(0x50, seg_desc(0, 0xfffff, 0xf2, kFlagG | kFlagDB));  // data, DPL 3
  Inspect d = inspect(r, 0x30);
  CHECK(d.lar_ok);
  CHECK(d.lar == 0x00009200);  // P, DPL 0, S, type 2 (read/write, not accessed)
  CHECK(d.lsl_ok);
  CHECK(d.lsl == 0xfff);
  CHECK(d.verr);
  CHECK(d.verw);
  Inspect x = inspect(r, 0x38);
  CHECK(x.lar_ok);
  CHECK(x.lsl == 0xffffffff);  // page-granular limit, scaled
  CHECK(!x.verr);              // execute-only
  CHECK(!x.verw);
  Inspect g = inspect(r, 0x48);
  CHECK(g.lar_ok);             // a call gate has access rights...
  CHECK(!g.lsl_ok);            // ...but no limit
  CHECK(g.lsl == 0xdeadbeef);  // the destination is left alone
  CHECK(!g.verr);
  Inspect rpl = inspect(r, 0x33);  // RPL 3 > DPL 0
  CHECK(!rpl.lar_ok);
  CHECK(!rpl.lsl_ok);
  CHECK(!rpl.verr);
  CHECK(rpl.lar == 0xdeadbeef);
  Inspect beyond = inspect(r, 0x400);  // beyond the GDT limit (0x3ff)
  CHECK(!beyond.lar_ok);
  CHECK(!beyond.verr);
  Inspect null = inspect(r, 0);
  CHECK(!null.lar_ok);
  CHECK(!null.verw);
  // From CPL 3: the DPL 0 data segment is invisible; the conforming code
  // segment and the DPL 3 one are visible.
  Prot32Rig u;
  u.desc(0x30, seg_desc(0x1000, 0xfff, 0x92, 0));
  u.desc(0x40, seg_desc(0, 0xfffff, 0x9e, kFlagG | kFlagDB));
  u.desc(0x50, seg_desc(0, 0xfffff, 0xf2, kFlagG | kFlagDB));
  Inspect k = inspect(u, 0x30, true);
  CHECK(!k.lar_ok);
  CHECK(!k.verr);
  Inspect conf = inspect(u, 0x43, true);
  CHECK(conf.lar_ok);
  CHECK(conf.verr);
  CHECK(!conf.verw);
  Inspect user_data = inspect(u, 0x53, true);
  CHECK(user_data.verw);
  CHECK(user_data.lar == 0x00c0f200);  // G, D/B; limit bits 19:16 not reported
}

TEST_CASE("LAR in real mode is #UD") {
  CpuRig r;
  r.cpu.reset();
  r.cpu.load_segment_real(CS, 0);
  r.put(0x1000, {0x0f, 0x02, 0xc3});  // lar ax, bx
  r.cpu.rip = 0x1000;
  CHECK(run_to_exception(r) == kUD);
  CHECK(r.cpu.rip == 0x1000);
}

TEST_CASE("UMIP: SGDT and SMSW at CPL 3 are #GP(0) with CR4.UMIP=1, allowed without it") {
  LongModeRig r;
  load(r, 0x20000, sgdt64, sgdt64_end);
  r.enter_user(0x20000, 0x30000);
  CHECK(run_to_exception(r) == kUD);  // ran to the end: stored GDTR
  CHECK(r.mem.read(0x30000 - 16, 2) == 0x3f);
  r.cpu.cr4 |= cr4::UMIP;
  r.cpu.rip = 0x20000;
  CHECK(run_to_exception(r) == kGP);
  CHECK(r.cpu.rip == 0x20000);
  load(r, 0x20000, smsw64, smsw64_end);
  CHECK(run_to_exception(r) == kGP);
  r.cpu.set_cpl(0);  // CPL 0 is never affected
  r.cpu.seg[CS].selector = 0x08;
  CHECK(run_to_exception(r) == kUD);
  CHECK(u32(r.cpu.gpr[RAX]) == u32(r.cpu.cr0));
}

TEST_CASE("#AC(0): a misaligned user access with CR0.AM and EFLAGS.AC; none at CPL 0 or with AC clear") {
  LongModeRig r;
  r.cpu.cr0 |= cr0::AM;
  r.cpu.gpr[RBX] = 0x30000;
  load(r, 0x20000, misaligned64, misaligned64_end);
  r.enter_user(0x20000, 0x30000);
  CHECK(run_to_exception(r) == kUD);  // AC clear: no check
  r.enter_user(0x20000, 0x30000);
  r.cpu.flags.set(fl::kFixed1 | fl::AC);
  r.cpu.mode_changed();
  const int v = run_to_exception(r);
  CHECK(v == kAC);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.rip == 0x20000);
  load(r, 0x20000, aligned64, aligned64_end);
  CHECK(run_to_exception(r) == kUD);  // aligned: fine
  // CR0.AM clear: no check.
  r.cpu.cr0 &= ~cr0::AM;
  r.cpu.mode_changed();
  load(r, 0x20000, misaligned64, misaligned64_end);
  r.cpu.rip = 0x20000;
  CHECK(run_to_exception(r) == kUD);
  // CPL 0 with AM and AC: no check.
  LongModeRig k;
  k.cpu.cr0 |= cr0::AM;
  k.cpu.flags.set(fl::kFixed1 | fl::AC);
  k.cpu.gpr[RBX] = 0x30000;
  load(k, 0x20000, misaligned64, misaligned64_end);
  k.cpu.rip = 0x20000;
  CHECK(run_to_exception(k) == kUD);
}

TEST_CASE("#AC after POPF sets EFLAGS.AC at CPL 3, even for a page the fast path has seen") {
  LongModeRig r;
  r.cpu.cr0 |= cr0::AM;
  r.cpu.gpr[RBX] = 0x30000;
  load(r, 0x20000, aligned64, aligned64_end);
  r.enter_user(0x20000, 0x2f000);
  CHECK(run_to_exception(r) == kUD);  // the page is now in the host TLB
  load(r, 0x20000, set_ac_then_load64, set_ac_then_load64_end);
  r.cpu.rip = 0x20000;
  CHECK(run_to_exception(r) == kAC);
  CHECK(r.cpu.rip == 0x20000 + 9);  // the load after PUSHFQ, OR (7 bytes), POPFQ
}

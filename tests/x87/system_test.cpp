// The x87 behaviour no user-mode native run can show, through the
// interpreter at CPL 0: CR0.EM/MP/TS (#NM, #UD for MMX), CR0.NE=1 (#MF at
// the next waiting instruction, with the pointers of the one that failed),
// CR0.NE=0 (FERR#, the freeze until an interrupt, IGNNE#), and the
// FSTENV/FSAVE images in every mode: real and virtual-8086 (linear
// pointers), 16- and 32-bit protected, 64-bit (SDM Vol. 1 §8.1.10 Figures
// 8-9 to 8-12, §8.6, §8.7; Vol. 3A §2.5 Table 2-2). The FXSAVE and XSAVE
// images of one state agree (cpu/fpu_state.h).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "cpu/fpu_state.h"
#include "cpu/x87/error_pins.h"
#include "tests/protection/rig.h"
#include "tests/support/cpu_rig.h"

namespace x87_sys {
namespace {

using namespace vtlab;
using namespace vtlab::testing;
using Bytes = std::vector<u8>;

// Runs `n` instructions (or to the first exception); the exception's
// vector, or -1.
int run(CpuRig& r, u64 n) {
  r.cpu.set_intercept_exceptions(true);
  return r.cpu.run(r.cpu.icount() + n) == StopCause::Exception ? r.cpu.intercepted_exception().vector : -1;
}

u16 get16(CpuRig& r, u64 pa) { return u16(r.get(pa, 2)); }
u32 get32(CpuRig& r, u64 pa) { return u32(r.get(pa, 4)); }

// 1.5f and pi as the x87 holds them.
constexpr u32 kOneAndHalfF32 = 0x3fc00000;
constexpr u64 kOneAndHalfSig = 0xc000000000000000ull, kPiSig = 0xc90fdaa22168c235ull;

// ---- 64-bit mode at CPL 0 ----

struct Long : LongModeRig {
  static constexpr u64 kCode = 0x20000, kData = 0x40000;
  explicit Long(const Bytes& code, u64 cr0_bits = cr0::NE | cr0::MP) {
    mem.write_block(kCode, code.data(), code.size());
    cpu.cr0 |= cr0_bits;
    cpu.cr4 |= cr4::OSFXSR | cr4::OSXSAVE;
    cpu.xcr0 = 3;
    cpu.rip = kCode;
    cpu.gpr[RBX] = kData;
    init_x87_state(cpu);  // as after FNINIT
  }
};

TEST_CASE("CR0.EM: x87 instructions and FXSAVE #NM, MMX #UD, WAIT runs") {
  struct T {
    Bytes code;
    int vector;
  };
  for (const T& t : {T{{0xd9, 0xe8}, kNM},        // fld1
                     T{{0xdb, 0xe3}, kNM},        // fninit (no-wait forms too)
                     T{{0x0f, 0xfc, 0xc1}, kUD},  // paddb mm0, mm1
                     T{{0x0f, 0x77}, kUD},        // emms
                     T{{0x0f, 0xae, 0x03}, kNM},  // fxsave [rbx]
                     T{{0x9b}, -1}}) {            // fwait: #NM only with MP and TS
    CAPTURE(int(t.code[0]));
    Long r(t.code, cr0::NE | cr0::MP | cr0::EM);
    CHECK(run(r, 1) == t.vector);
    CHECK(r.cpu.rip == Long::kCode + (t.vector < 0 ? t.code.size() : 0));
  }
}

TEST_CASE("CR0.TS: #NM for x87, MMX and FXSAVE; WAIT only with CR0.MP; EM outranks TS for MMX") {
  struct T {
    Bytes code;
    u64 cr0;
    int vector;
  };
  for (const T& t : {T{{0xd9, 0xe8}, cr0::TS, kNM}, T{{0xdf, 0xe0}, cr0::TS, kNM},  // fld1, fnstsw ax
                     T{{0x0f, 0xfc, 0xc1}, cr0::TS, kNM}, T{{0x0f, 0xae, 0x03}, cr0::TS, kNM}, T{{0x9b}, cr0::TS, -1},
                     T{{0x9b}, cr0::TS | cr0::MP, kNM}, T{{0x0f, 0xfc, 0xc1}, cr0::TS | cr0::EM, kUD}}) {
    CAPTURE(int(t.code[0]));
    CAPTURE(t.cr0);
    Long r(t.code, cr0::NE | t.cr0);
    CHECK(run(r, 1) == t.vector);
  }
  // CLTS, then the same instruction runs.
  Long r({0x0f, 0x06, 0xd9, 0xe8}, cr0::NE | cr0::MP | cr0::TS);
  CHECK(run(r, 2) == -1);
  CHECK(r.cpu.x87.r[7].sig == 0x8000000000000000ull);
}

// fldcw [rbx] (ZM clear); fldz; fld1; fdiv st0, st1 (#Z unmasked: nothing
// written, ES set); fnstsw ax (no-wait: runs); fld1 (waiting: #MF).
const Bytes kDivideByZero = {0xd9, 0x2b, 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1, 0xdf, 0xe0, 0xd9, 0xe8};
constexpr u64 kFdivAt = Long::kCode + 6, kSecondFld1At = Long::kCode + 10;

TEST_CASE("CR0.NE=1: an unmasked exception is reported as #MF by the next waiting instruction") {
  Long r(kDivideByZero);
  r.put(Long::kData, {0x7b, 0x03});  // FCW 037BH: ZM clear
  CHECK(run(r, 5) == -1);
  CHECK(r.cpu.gpr[RAX] == 0xb084);  // B, TOP 6, ES, ZE
  CHECK(run(r, 1) == kMF);
  CHECK(r.cpu.rip == kSecondFld1At);  // a fault: at the waiting instruction
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.x87.fip == kFdivAt);  // the pointers of the instruction that failed
  CHECK(r.cpu.x87.fcs == 0x08);
  CHECK(r.cpu.x87.fop == 0x0f1);              // D8 F1: (D8 & 7) << 8 | F1
  CHECK((r.cpu.x87.fsw & 0x3800) == 0x3000);  // two pushes; the failed FDIV wrote nothing
  CHECK(r.cpu.x87.r[6].sig == 0x8000000000000000ull);
  // MMX instructions check too; FNCLEX clears the error, then both run.
  r.put(kSecondFld1At, {0x0f, 0xfc, 0xc1, 0xdb, 0xe2, 0x0f, 0xfc, 0xc1, 0xd9, 0xe8});
  r.cpu.flush_decoded_blocks();
  CHECK(run(r, 1) == kMF);
  CHECK(r.cpu.rip == kSecondFld1At);
  r.cpu.rip += 3;
  CHECK(run(r, 3) == -1);
  CHECK((r.cpu.x87.fsw & 0x80) == 0);
}

// The chipset side of CR0.NE=0 reporting, as a test double: FERR# as seen
// by the latch, IGNNE# as the port 0xf0 write would set it.
struct Pins final : X87ErrorPins {
  bool asserted = false, ignne_on = false;
  int edges = 0;
  void ferr(bool on) override {
    asserted = on;
    ++edges;
  }
  bool ignne() const override { return ignne_on; }
};
// One interrupt vector, raised on demand (the 8259's IRQ 13 in a PC).
struct OneIrq final : InterruptSource {
  bool pending = false;
  bool has_interrupt() override { return pending; }
  u8 acknowledge() override {
    pending = false;
    return 0x75;
  }
};

// CR0.NE=0 with the divide-by-zero program; the IRQ 13 handler at 0x30000
// is `handler` then IRETQ.
struct Freeze : Long {
  Pins pins;
  OneIrq irq;
  explicit Freeze(const Bytes& handler) : Long(kDivideByZero, cr0::MP) {
    put(Long::kData, {0x7b, 0x03});
    Bytes h = handler;
    h.insert(h.end(), {0x48, 0xcf});  // iretq
    mem.write_block(0x30000, h.data(), h.size());
    gate(0x75, 0x30000);
    cpu.set_x87_error_pins(&pins);
    cpu.set_interrupt_source(&irq);
    cpu.flags.set(fl::IF | fl::kFixed1);
  }
};

TEST_CASE("CR0.NE=0: the next waiting instruction asserts FERR# and freezes until an interrupt") {
  Freeze r({0xdb, 0xe2});  // IRQ 13 handler: fnclex
  CHECK(run(r, 5) == -1);
  CHECK(!r.pins.asserted);  // the error is only recorded so far
  CHECK(run(r, 1) == -1);
  CHECK(r.pins.asserted);
  CHECK(r.cpu.halted);
  CHECK(r.cpu.rip == kSecondFld1At);
  CHECK((r.cpu.x87.fsw & 0x3800) == 0x3000);  // the FLD1 has not run
  // IRQ 13: the handler's FNCLEX drops FERR#; IRETQ returns to the FLD1,
  // which runs now.
  r.irq.pending = true;
  CHECK(run(r, 4) == -1);
  CHECK(!r.pins.asserted);
  CHECK(r.pins.edges == 2);
  CHECK(r.cpu.rip == kSecondFld1At + 2);
  CHECK((r.cpu.x87.fsw & 0x38ff) == 0x2800);  // pushed, no exception left
  CHECK(r.cpu.x87.r[5].sig == 0x8000000000000000ull);
}

TEST_CASE("CR0.NE=0 with IGNNE# asserted: the waiting instruction runs and the error stays pending") {
  Freeze r({});  // the handler only returns: the chipset's IGNNE# lets the FLD1 through
  CHECK(run(r, 6) == -1);
  REQUIRE(r.cpu.halted);
  r.pins.ignne_on = true;  // as the handler's write to port 0xf0 would
  r.irq.pending = true;
  CHECK(run(r, 3) == -1);
  CHECK(r.cpu.rip == kSecondFld1At + 2);
  CHECK((r.cpu.x87.fsw & 0x80) != 0);  // ES still set: FERR# stays asserted
  CHECK(r.pins.asserted);
  CHECK(r.pins.edges == 1);
  // CR0.NE=1 later: the same pending error is #MF at the next waiting one.
  r.put(kSecondFld1At + 2, {0xd9, 0xe8});
  r.cpu.flush_decoded_blocks();
  r.cpu.cr0 |= cr0::NE;
  CHECK(run(r, 1) == kMF);
}

// ---- the environment and FSAVE images in every mode ----

// The x87 state the layout programs leave: FLDPI, then FLD m32fp 1.5 (the
// last non-control instruction, with a memory operand).
void check_two_values(const Cpu& c) {
  CHECK(c.x87.fcw == 0x037f);
  CHECK(c.x87.fsw == 0x3000);  // TOP 6
  CHECK(c.x87.tags == 0xc0);   // R6, R7
  CHECK(c.x87.r[6].sig == kOneAndHalfSig);
  CHECK(c.x87.r[6].se == 0x3fff);
  CHECK(c.x87.r[7].sig == kPiSig);
  CHECK(c.x87.r[7].se == 0x4000);
}
// The ten-byte registers of an FSAVE image from `at`: ST0 = 1.5, ST1 = pi,
// ST2-7 the (zero) contents of the empty registers.
void check_saved_registers(CpuRig& r, u64 at) {
  CHECK(r.get(at, 8) == kOneAndHalfSig);
  CHECK(get16(r, at + 8) == 0x3fff);
  CHECK(r.get(at + 10, 8) == kPiSig);
  CHECK(get16(r, at + 18) == 0x4000);
  for (unsigned k = 2; k < 8; ++k) CHECK(r.get(at + 10 * k, 8) == 0);
}

// 16-bit code at CS:0100 with DS = 2000h (1.5f at DS:0200):
//   fninit; fldpi; fld dword [0x200]; fnstenv [0x300]; o32 fnstenv [0x340];
//   fldenv [0x300]; fnstenv [0x320]; fnsave [0x400]; frstor [0x400];
//   o32 fnsave [0x500]; o32 frstor [0x500]
const Bytes kReal16 = {0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0x06, 0x00, 0x02, 0xd9, 0x36, 0x00, 0x03, 0x66, 0xd9, 0x36,
                       0x40, 0x03, 0xd9, 0x26, 0x00, 0x03, 0xd9, 0x36, 0x20, 0x03, 0xdd, 0x36, 0x00, 0x04, 0xdd,
                       0x26, 0x00, 0x04, 0x66, 0xdd, 0x36, 0x00, 0x05, 0x66, 0xdd, 0x26, 0x00, 0x05};
constexpr u64 kRealCs = 0x1000, kRealDs = 0x2000, kDs = kRealDs << 4;

Segment real_segment(u16 sel, bool code, unsigned dpl) {
  const u32 type = code ? ar::kTypeCode | ar::kTypeReadable : ar::kTypeWritable;
  return Segment{sel, u64(sel) << 4, 0xffff, ar::P | ar::S | type | ar::kTypeAccessed | dpl << ar::kDplShift};
}

// Real mode and virtual-8086 mode store linear pointers (SDM Vol. 1
// Figures 8-10, 8-12): IP = CS * 16 + offset of the FLD (0x10104), its
// opcode D9 06 -> 106H, DP = DS * 16 + 0x200.
void check_real_images(CpuRig& r) {
  // 14-byte (16-bit) image: IP 15..0, IP 19..16 in bits 15:12 with the
  // opcode, DP 15..0, DP 19..16 in bits 15:12.
  const u16 env16[7] = {0x037f, 0x3000, 0x0fff, 0x0104, 0x1106, 0x0200, 0x2000};
  for (unsigned k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(get16(r, kDs + 0x300 + 2 * k) == env16[k]);
    CHECK(get16(r, kDs + 0x320 + 2 * k) == env16[k]);  // FLDENV then FNSTENV: the same image
    CHECK(get16(r, kDs + 0x400 + 2 * k) == env16[k]);  // FNSAVE's environment
  }
  // 28-byte (32-bit) image: IP 31..16 in bits 27:12 of the fifth dword.
  const u32 env32[7] = {0xffff037f, 0xffff3000, 0xffff0fff, 0xffff0104, 0x00001106, 0xffff0200, 0x00002000};
  for (unsigned k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(get32(r, kDs + 0x340 + 4 * k) == env32[k]);
    CHECK(get32(r, kDs + 0x500 + 4 * k) == env32[k]);
  }
  check_saved_registers(r, kDs + 0x400 + 14);
  check_saved_registers(r, kDs + 0x500 + 28);
  check_two_values(r.cpu);  // FRSTOR brought back what FNSAVE saved (and FNINIT cleared)
}

TEST_CASE("real mode: 16- and 32-bit FSTENV/FSAVE images hold linear pointers; FLDENV/FRSTOR round trips") {
  CpuRig r;
  r.cpu.cr0 = cr0::ET | cr0::NE;
  r.cpu.seg[CS] = real_segment(kRealCs, true, 0);
  r.cpu.seg[DS] = real_segment(kRealDs, false, 0);
  r.cpu.rip = 0x100;
  r.cpu.mode_changed();
  r.mem.write_block((kRealCs << 4) + 0x100, kReal16.data(), kReal16.size());
  r.mem.write(kDs + 0x200, 4, kOneAndHalfF32);
  REQUIRE(run(r, 11) == -1);
  CHECK(r.cpu.rip == 0x100 + kReal16.size());
  check_real_images(r);
  CHECK(r.cpu.x87.fip == 0x10104);  // loaded from a real-mode image: linear, selector 0
  CHECK(r.cpu.x87.fcs == 0);
  CHECK(r.cpu.x87.fop == 0x106);
}

TEST_CASE("virtual-8086 mode uses the real-mode images") {
  prot_test::Prot32Rig r;
  r.cpu.flags.set(fl::VM | fl::kFixed1);
  r.cpu.seg[CS] = real_segment(kRealCs, true, 3);
  for (unsigned s : {SS, DS, ES, FS, GS}) r.cpu.seg[s] = real_segment(kRealDs, false, 3);
  r.cpu.set_cpl(3);
  r.cpu.rip = 0x100;
  r.cpu.mode_changed();
  REQUIRE(r.cpu.v86());
  r.mem.write_block((kRealCs << 4) + 0x100, kReal16.data(), kReal16.size());
  r.mem.write(kDs + 0x200, 4, kOneAndHalfF32);
  REQUIRE(run(r, 11) == -1);
  CHECK(r.cpu.rip == 0x100 + kReal16.size());
  check_real_images(r);
}

// 32-bit flat protected mode, code at 0x10000 (1.5f at 0x20200):
//   fninit; fldpi; fld dword [0x20200]; fnstenv [0x20300];
//   o16 fnstenv [0x20340]; fnsave [0x20400]; frstor [0x20400];
//   o16 fnsave [0x20500]; o16 frstor [0x20500]
const Bytes kProt32 = {0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0x05, 0x00, 0x02, 0x02, 0x00, 0xd9, 0x35, 0x00,
                       0x03, 0x02, 0x00, 0x66, 0xd9, 0x35, 0x40, 0x03, 0x02, 0x00, 0xdd, 0x35, 0x00,
                       0x04, 0x02, 0x00, 0xdd, 0x25, 0x00, 0x04, 0x02, 0x00, 0x66, 0xdd, 0x35, 0x00,
                       0x05, 0x02, 0x00, 0x66, 0xdd, 0x25, 0x00, 0x05, 0x02, 0x00};

TEST_CASE("protected mode: 32-bit images with offset, selector and opcode; 16-bit images without the opcode") {
  prot_test::Prot32Rig r;
  r.cpu.cr0 |= cr0::NE;
  r.mem.write_block(0x10000, kProt32.data(), kProt32.size());
  r.mem.write(0x20200, 4, kOneAndHalfF32);
  r.cpu.rip = 0x10000;
  REQUIRE(run(r, 9) == -1);
  CHECK(r.cpu.rip == 0x10000 + kProt32.size());
  // FIP 0x10004 with CS 08h and opcode D9 05 (105H) in the upper half of
  // the fifth dword; FDP 0x20200 with DS 10h.
  const u32 env32[7] = {0xffff037f, 0xffff3000, 0xffff0fff, 0x00010004, 0x01050008, 0x00020200, 0xffff0010};
  for (unsigned k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(get32(r, 0x20300 + 4 * k) == env32[k]);
    CHECK(get32(r, 0x20400 + 4 * k) == env32[k]);
  }
  const u16 env16[7] = {0x037f, 0x3000, 0x0fff, 0x0004, 0x0008, 0x0200, 0x0010};
  for (unsigned k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(get16(r, 0x20340 + 2 * k) == env16[k]);
    CHECK(get16(r, 0x20500 + 2 * k) == env16[k]);
  }
  check_saved_registers(r, 0x20400 + 28);
  check_saved_registers(r, 0x20500 + 14);
  check_two_values(r.cpu);
  CHECK(r.cpu.x87.fip == 0x0004);  // the 16-bit image holds 16-bit offsets
  CHECK(r.cpu.x87.fcs == 0x08);
  CHECK(r.cpu.x87.fdp == 0x0200);
  CHECK(r.cpu.x87.fds == 0x10);
}

// 64-bit mode: fninit; fldpi; fld dword [rip+0x1000] (0x2100a);
// fnstenv [rbx]; fxsave [rbx+0x40]; fxsave64 [rbx+0x240];
// xsave [rbx+0x440] (EDX:EAX = 3); fninit; xrstor [rbx+0x440]
const Bytes kLong = {0xdb, 0xe3, 0xd9, 0xeb, 0xd9, 0x05, 0x00, 0x10, 0x00, 0x00, 0xd9, 0x33, 0x0f, 0xae,
                     0x43, 0x40, 0x48, 0x0f, 0xae, 0x83, 0x40, 0x02, 0x00, 0x00, 0x0f, 0xae, 0xa3, 0x40,
                     0x04, 0x00, 0x00, 0xdb, 0xe3, 0x0f, 0xae, 0xab, 0x40, 0x04, 0x00, 0x00};

TEST_CASE("64-bit mode: FSTENV's 32-bit image, FXSAVE/FXSAVE64 pointers, XSAVE's x87 bytes are FXSAVE's") {
  Long r(kLong);
  r.mem.write(0x2100a, 4, kOneAndHalfF32);
  r.cpu.gpr[RAX] = 3, r.cpu.gpr[RDX] = 0;
  REQUIRE(run(r, 9) == -1);
  CHECK(r.cpu.rip == Long::kCode + kLong.size());
  const u64 d = Long::kData;
  const u32 env32[7] = {0xffff037f, 0xffff3000, 0xffff0fff, 0x00020004, 0x01050008, 0x0002100a, 0xffff0000};
  for (unsigned k = 0; k < 7; ++k) {
    CAPTURE(k);
    CHECK(get32(r, d + 4 * k) == env32[k]);
  }
  // FXSAVE: abridged tags C0H, FOP, FIP + FCS, FDP + FDS; FXSAVE64: 64-bit
  // FIP and FDP (SDM Vol. 1 Tables 10-2, 10-3).
  const u64 fx = d + 0x40, fx64 = d + 0x240, xs = d + 0x440;
  CHECK(get16(r, fx + 0) == 0x037f);
  CHECK(get16(r, fx + 2) == 0x3000);
  CHECK(r.get(fx + 4, 1) == 0xc0);
  CHECK(get16(r, fx + 6) == 0x105);
  CHECK(get32(r, fx + 8) == 0x20004);
  CHECK(get16(r, fx + 12) == 0x08);
  CHECK(get32(r, fx + 16) == 0x2100a);
  CHECK(get16(r, fx + 20) == 0);
  CHECK(r.get(fx64 + 8, 8) == 0x20004);
  CHECK(r.get(fx64 + 16, 8) == 0x2100a);
  CHECK(r.get(fx + 32, 8) == kOneAndHalfSig);  // ST0, ST1 in 16-byte slots
  CHECK(get16(r, fx + 40) == 0x3fff);
  CHECK(r.get(fx + 48, 8) == kPiSig);
  CHECK(get16(r, fx + 56) == 0x4000);
  // XSAVE component 0 = FXSAVE's x87 bytes; XSTATE_BV[0] = 1 (in use).
  for (unsigned k = 0; k < 160; ++k) {
    if (k >= 24 && k < 32) continue;  // MXCSR, MXCSR_MASK: SSE state
    CAPTURE(k);
    CHECK(r.get(xs + k, 1) == r.get(fx + k, 1));
  }
  CHECK((r.get(xs + 512, 8) & 1) == 1);
  // XRSTOR after FNINIT brings the registers, tags and pointers back.
  check_two_values(r.cpu);
  CHECK(r.cpu.x87.fip == 0x20004);
  CHECK(r.cpu.x87.fop == 0x105);
}

}  // namespace
}  // namespace x87_sys

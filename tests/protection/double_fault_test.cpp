// A fault while delivering an event (SDM Vol. 3A §6.15 "Interrupt 8",
// Tables 6-4 and 6-5): benign first events let the second be handled
// serially; contributory after contributory, and anything but a benign
// event after a page fault, become #DF (error code 0); a fault while
// delivering #DF is a triple fault. Each row raises a first event (a fault,
// a trap, an NMI, an external interrupt, a software interrupt) whose IDT
// gate is broken in one way (not present, a bad type, an IST stack on a
// not-present page, a non-canonical IST pointer, an IST slot beyond the TSS
// limit) and checks which handler runs, with which error code, CR2 and
// return address. Software interrupts differ: a fault while delivering INT n
// or INT3 is a fault of the instruction (EXT = 0), never a #DF.
#include <stdexcept>
#include <string>

#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

constexpr u64 kCode = 0x20000, kStubs = 0x40000, kUnmappedData = 0x60000;
constexpr u64 kBadIstTop = 0x70000;  // the page below it is not present
constexpr u64 kSecondPfAddress = kBadIstTop - 8;

enum class First { UD, DE, GP, PF, NMI, Intr, Int1, Int3, IntN };
enum class Break { NotPresent, BadType, IstNotPresent, IstNonCanonical, IstBeyondTss };

struct FirstEvent {
  First first;
  const char* name;
  u8 vector;
  std::initializer_list<u8> code;
  u64 return_rip;  // pushed for a second event handled serially
};

const FirstEvent kFirsts[] = {
    {First::UD, "#UD", kUD, {0x0f, 0x0b}, kCode},
    {First::DE, "#DE", kDE, {0xf7, 0xf1}, kCode},         // div ecx, ECX = 0
    {First::GP, "#GP", kGP, {0x8b, 0x00}, kCode},         // mov eax, [rax], RAX not canonical
    {First::PF, "#PF", kPF, {0x8b, 0x00}, kCode},         // mov eax, [rax], RAX not present
    {First::NMI, "NMI", kNMI, {0x90}, kCode},             // pending before the NOP
    {First::Intr, "interrupt 30H", 0x30, {0x90}, kCode},  // pending before the NOP
    {First::Int1, "INT1", kDB, {0xf1}, kCode + 1},        // a trap: after the instruction
    {First::Int3, "INT3", kBP, {0xcc}, kCode},            // software: a fault of the INT3
    {First::IntN, "INT 40H", 0x40, {0xcd, 0x40}, kCode},  // software: a fault of the INT
};

struct Irq30 final : InterruptSource {
  bool pending = false;
  bool has_interrupt() override { return pending; }
  u8 acknowledge() override {
    pending = false;
    return 0x30;
  }
};

// 64-bit mode at CPL 0; every vector's gate is an interrupt gate on IST1 to
// a HLT of its own at kStubs + 16 * vector (IF=0 in the handler: the run
// stops there, and RIP names the handler that ran).
struct Rig : LongModeRig {
  Irq30 irq;
  explicit Rig(const FirstEvent& f) {
    for (unsigned v = 0; v < 0x50; ++v) {
      gate(v, kStubs + 16 * v, 0, 1);
      put(kStubs + 16 * v, {0xf4});
    }
    put(kCode, f.code);
    set_pte(kUnmappedData, 0);
    set_pte(kBadIstTop - 0x1000, 0);
    put64(kTss + 36 + 8, kBadIstTop);           // IST2: its stack page is not present
    put64(kTss + 36 + 16, u64(1) << 47);        // IST3: not canonical
    put64(kTss + 36 + 24, kIstStack - 0x2000);  // IST4: fine, but see IstBeyondTss
    cpu.rip = kCode;
    cpu.gpr[RCX] = 0;
    cpu.gpr[RAX] = f.first == First::GP ? u64(1) << 63 : kUnmappedData;
    cpu.set_interrupt_source(&irq);
    if (f.first == First::NMI) cpu.raise_nmi();
    if (f.first == First::Intr) {
      irq.pending = true;
      cpu.flags.set(fl::kFixed1 | fl::IF);
    }
  }
  void break_gate(u8 vector, Break how) {
    const u64 at = kIdt + 16 * u64(vector);
    u64 lo = get(at, 8);
    switch (how) {
      case Break::NotPresent:
        lo &= ~(u64(1) << 47);
        break;
      case Break::BadType:
        lo &= ~(u64(0xf) << 40);
        break;
      case Break::IstNotPresent:
        lo = (lo & ~(u64(7) << 32)) | u64(2) << 32;
        break;
      case Break::IstNonCanonical:
        lo = (lo & ~(u64(7) << 32)) | u64(3) << 32;
        break;
      case Break::IstBeyondTss:
        lo = (lo & ~(u64(7) << 32)) | u64(4) << 32;
        cpu.tr.limit = 0x2b;  // RSP0-2 and IST1 only
        break;
    }
    put64(at, lo);
  }
  u64 stub_of(u8 vector) const { return kStubs + 16 * vector; }
};

struct Row {
  First first;
  Break how;
  u8 delivered;  // the handler that runs
  u32 error;     // its error code
};

const FirstEvent& first_event(First f) {
  for (const FirstEvent& e : kFirsts)
    if (e.first == f) return e;
  throw std::logic_error("no such first event");
}

// The IDT error code for vector v: index v, IDT bit, EXT (SDM §6.13).
constexpr u32 idt_error(u8 v, bool ext) { return u32(v) * 8 + 2 + (ext ? 1 : 0); }
constexpr u32 kPfSupervisorWrite = 2;  // not present, write, supervisor
constexpr u32 kTssError = 0x30 + 1;    // the TSS selector, EXT

const Row kRows[] = {
    // A benign first event: the second is handled serially.
    {First::UD, Break::NotPresent, kNP, idt_error(kUD, true)},
    {First::UD, Break::BadType, kGP, idt_error(kUD, true)},
    {First::UD, Break::IstNotPresent, kPF, kPfSupervisorWrite},
    {First::UD, Break::IstNonCanonical, kSS, 1},
    {First::UD, Break::IstBeyondTss, kTS, kTssError},
    {First::NMI, Break::NotPresent, kNP, idt_error(kNMI, true)},
    {First::NMI, Break::IstNotPresent, kPF, kPfSupervisorWrite},
    {First::Intr, Break::BadType, kGP, idt_error(0x30, true)},
    {First::Intr, Break::IstNonCanonical, kSS, 1},
    {First::Int1, Break::NotPresent, kNP, idt_error(kDB, true)},  // INT1 is not a software interrupt: EXT=1
    // Contributory first: a contributory second is #DF, a page fault is handled serially.
    {First::DE, Break::NotPresent, kDF, 0},
    {First::DE, Break::BadType, kDF, 0},
    {First::DE, Break::IstNonCanonical, kDF, 0},
    {First::DE, Break::IstBeyondTss, kDF, 0},
    {First::DE, Break::IstNotPresent, kPF, kPfSupervisorWrite},
    {First::GP, Break::NotPresent, kDF, 0},
    {First::GP, Break::IstNotPresent, kPF, kPfSupervisorWrite},
    // A page fault first: a contributory fault or another page fault is #DF.
    {First::PF, Break::NotPresent, kDF, 0},
    {First::PF, Break::BadType, kDF, 0},
    {First::PF, Break::IstNonCanonical, kDF, 0},
    {First::PF, Break::IstBeyondTss, kDF, 0},
    {First::PF, Break::IstNotPresent, kDF, 0},
    // Software interrupts: a fault of the instruction, EXT = 0.
    {First::Int3, Break::NotPresent, kNP, idt_error(kBP, false)},
    {First::IntN, Break::BadType, kGP, idt_error(0x40, false)},
    {First::IntN, Break::IstNotPresent, kPF, kPfSupervisorWrite},
};

}  // namespace

TEST_CASE("a fault while delivering an event: serial handling or #DF by the classes of SDM Tables 6-4 and 6-5") {
  for (const Row& row : kRows) {
    const FirstEvent& f = first_event(row.first);
    Rig r(f);
    r.break_gate(f.vector, row.how);
    CAPTURE(f.name);
    CAPTURE(int(row.how));
    CHECK(r.step(20) == StopCause::HaltedForever);
    CHECK(r.cpu.rip == r.stub_of(row.delivered) + 1);
    CHECK(r.get(LongModeRig::kIstStack - 48, 8) == row.error);
    if (row.delivered != kDF) {
      // Handled serially: the return address is the first event's.
      CHECK(r.get(LongModeRig::kIstStack - 40, 8) == f.return_rip);
    }
    if (row.how == Break::IstNotPresent) CHECK(r.cpu.cr2 == kSecondPfAddress);  // also when it became #DF
    if (row.first == First::PF && row.how != Break::IstNotPresent) CHECK(r.cpu.cr2 == kUnmappedData);
  }
}

TEST_CASE("the exception classes: 9 is benign, #VE a page fault, #CP contributory (SDM Table 6-4)") {
  for (u8 v : std::initializer_list<u8>{kDB, kNMI, kBP, kOF, kBR, kUD, kNM, 9, kMF, kAC, kMC, kXM}) {
    CAPTURE(int(v));
    CHECK(fault_class(v) == FaultClass::Benign);
  }
  for (u8 v : std::initializer_list<u8>{kDE, kTS, kNP, kSS, kGP, kCP}) {
    CAPTURE(int(v));
    CHECK(fault_class(v) == FaultClass::Contributory);
  }
  CHECK(fault_class(kPF) == FaultClass::PageFault);
  CHECK(fault_class(kVE) == FaultClass::PageFault);
  CHECK(fault_class(0x30) == FaultClass::Benign);  // INTR and INT n
}

TEST_CASE("a fault while delivering #DF is a triple fault; the summary names the first event") {
  Rig r(first_event(First::DE));
  r.break_gate(kDE, Break::NotPresent);  // #DE -> #NP: #DF
  r.break_gate(kDF, Break::NotPresent);  // #DF -> #NP: shutdown
  CHECK(r.step(20) == StopCause::TripleFault);
  CHECK(r.cpu.stop_detail() == "triple fault: #NP while delivering #DF");
  CHECK(r.cpu.chain_start().vector == kDE);
  CHECK(r.cpu.chain_start().rip == kCode);
}

// The CPU in each operating mode, on hand-built descriptor tables: real
// mode addressing and interrupts, 16-bit protected mode with segment limits,
// compatibility mode, and 64-bit interrupt delivery from CPL 3 through the
// TSS stack (and IRETQ back), #PF error codes and CR2, #DF and triple fault.
// Expected values follow the SDM sections cited per test.
#include <doctest/doctest.h>

#include "tests/support/cpu_rig.h"

namespace {

using namespace vtlab;

using namespace vtlab::testing;
using Rig = CpuRig;
constexpr u32 kCode = kCodeAccess, kData = kDataAccess;

}  // namespace

TEST_CASE("real mode: segment:offset addressing and 16-bit wraparound (SDM Vol. 3A §20.1.1)") {
  Rig r;
  r.cpu.reset();
  r.cpu.load_segment_real(CS, 0);
  r.cpu.rip = 0x7c00;
  // mov ax, 0x1234; mov ds, ax; mov bx, 0xfffe; mov word [bx+4], 0xbeef; add ax, 0xffff; hlt
  r.put(0x7c00, {0xb8, 0x34, 0x12, 0x8e, 0xd8, 0xbb, 0xfe, 0xff, 0xc7, 0x47, 0x04, 0xef, 0xbe, 0x05, 0xff, 0xff, 0xf4});
  StopCause s = r.step(100);
  CHECK(s == StopCause::HaltedForever);
  // bx+4 wraps to 0x0002 within the 64 KiB segment: 0x12340 + 2.
  CHECK(r.get(0x12342, 2) == 0xbeef);
  CHECK((r.cpu.gpr[RAX] & 0xffff) == 0x1233);
  CHECK(r.cpu.flags.cf());
}

TEST_CASE("real mode: INT through the IVT and IRET (SDM Vol. 3A §20.1.4)") {
  Rig r;
  r.cpu.reset();
  r.cpu.load_segment_real(CS, 0);
  r.cpu.load_segment_real(SS, 0);
  r.cpu.gpr[RSP] = 0x7000;
  r.cpu.rip = 0x1000;
  r.put(0x60 * 4, {0x00, 0x02, 0x00, 0x30});  // vector 0x60 -> 3000:0200
  // stc; int 0x60; hlt
  r.put(0x1000, {0xf9, 0xcd, 0x60, 0xf4});
  // handler at 0x30200: mov ax, cs; mov bx, [ss:sp+4] (flags); iret
  r.put(0x30200, {0x8c, 0xc8, 0x89, 0xe5, 0x8b, 0x5e, 0x04, 0xcf});
  r.step(100);
  CHECK((r.cpu.gpr[RAX] & 0xffff) == 0x3000);
  CHECK((r.cpu.gpr[RBX] & 0x201) == 0x001);  // pushed FLAGS has CF (and IF was 0)
  CHECK(r.cpu.seg[CS].selector == 0);
  CHECK(r.cpu.rip == 0x1004);  // after the HLT
  CHECK((r.cpu.gpr[RSP] & 0xffff) == 0x7000);
}

TEST_CASE("16-bit protected mode: operand-size prefix and segment limit #GP (SDM Vol. 3A §5.3)") {
  Rig r;
  const u64 gdt = 0x5000;
  r.put64(gdt + 0x08, seg_desc(0x10000, 0xffff, kCode, 0));  // 16-bit code
  r.put64(gdt + 0x10, seg_desc(0x20000, 0x00ff, kData, 0));  // data, limit 0xff
  r.cpu.gdtr = TableReg{gdt, 0x17};
  r.cpu.cr0 = cr0::PE | cr0::ET;
  r.cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, r.mem.read(gdt + 0x08, 8));
  r.cpu.load_segment(DS, 0x10);
  r.cpu.mode_changed();
  r.cpu.set_intercept_exceptions(true);
  r.cpu.rip = 0;
  // mov eax, 0x89abcdef (66 prefix); mov [0xfe], ax; mov [0xff], ax (crosses the limit)
  r.put(0x10000, {0x66, 0xb8, 0xef, 0xcd, 0xab, 0x89, 0xa3, 0xfe, 0x00, 0xa3, 0xff, 0x00});
  StopCause s = r.step(10);
  CHECK(u32(r.cpu.gpr[RAX]) == 0x89abcdef);
  CHECK(r.get(0x200fe, 2) == 0xcdef);
  REQUIRE(s == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kGP);
  CHECK(r.cpu.intercepted_exception().error == 0);
  CHECK(r.cpu.rip == 9);  // the faulting store
  CHECK(r.get(0x200ff, 1) == 0xcd);  // unchanged: the faulting store wrote nothing
}

TEST_CASE("64-bit: INT from CPL 3 switches to RSP0, pushes SS:RSP:RFLAGS:CS:RIP; IRETQ returns (SDM Vol. 3A §6.14)") {
  LongModeRig r;
  r.gate(0x80, 0x40000, 3);
  r.enter_user(0x20000, 0x30008);
  // user: int 0x80; mov rbx, rax; hlt(#GP at CPL 3 -> vector 13 handler)
  r.put(0x20000, {0xcd, 0x80, 0x48, 0x89, 0xc3, 0xf4});
  // kernel: mov rax, [rsp+8] (CS); mov rcx, [rsp+24] (RSP); mov rdx, [rsp+32] (SS); iretq
  r.put(0x40000, {0x48, 0x8b, 0x44, 0x24, 0x08, 0x48, 0x8b, 0x4c, 0x24, 0x18, 0x48, 0x8b, 0x54, 0x24, 0x20, 0x48, 0xcf});
  r.gate(13, 0x41000);
  r.put(0x41000, {0xf4});  // #GP handler: halt at CPL 0
  r.step(8);  // 7 instructions, the #GP's delivery (a tick of its own), the handler's HLT
  CHECK(r.cpu.gpr[RBX] == 0x2b);       // saved CS, read in the handler
  CHECK(r.cpu.gpr[RCX] == 0x30008);    // saved user RSP
  CHECK(r.cpu.gpr[RDX] == 0x23);       // saved user SS
  CHECK(r.cpu.rip == 0x41001);         // HLT at CPL 3 raised #GP, delivered on RSP0 again; its HLT ran
  CHECK(r.cpu.cpl == 0);
  CHECK(r.mem.read(LongModeRig::kKernelStack - 48, 8) == 0);         // #GP error code 0
  CHECK(r.mem.read(LongModeRig::kKernelStack - 40, 8) == 0x20005);   // faulting RIP: the HLT
}

TEST_CASE("64-bit: #PF error code and CR2; IST stack; INT3 DPL check") {
  LongModeRig r;
  r.gate(14, 0x40000, 0, 1);  // #PF on IST1
  r.put(0x40000, {0xf4});
  r.enter_user(0x20000, 0x30000);
  // user: mov byte [0x300010], 1  -> not-present page, user write
  r.put(0x20000, {0xc6, 0x04, 0x25, 0x10, 0x00, 0x30, 0x00, 0x01});
  r.step(3);
  CHECK(r.cpu.cr2 == 0x300010);
  CHECK(r.cpu.rip == 0x40001);
  // Frame on IST1 (16-byte aligned already): error, RIP, CS, RFLAGS, RSP, SS.
  const u64 top = LongModeRig::kIstStack;
  CHECK(r.mem.read(top - 48, 8) == (2 | 4));  // W/R=1, U/S=1, P=0
  CHECK(r.mem.read(top - 40, 8) == 0x20000);
  CHECK(r.mem.read(top - 8, 8) == 0x23);

  // INT3 through a DPL 0 gate from CPL 3 is #GP(vector*8+2) (SDM §6.12.1.1).
  LongModeRig g;
  g.gate(3, 0x40000, 0);
  g.gate(13, 0x41000);
  g.put(0x41000, {0xf4});
  g.enter_user(0x20000, 0x30000);
  g.put(0x20000, {0xcc});
  g.step(3);
  CHECK(g.cpu.rip == 0x41001);
  CHECK(g.mem.read(LongModeRig::kKernelStack - 48, 8) == 3 * 8 + 2);
}

TEST_CASE("compatibility mode: 32-bit code under IA-32e (SDM Vol. 3A §2.2)") {
  LongModeRig r;
  r.enter_user(0x20000, 0x30000, 0x1b);
  CHECK(!r.cpu.long64());
  CHECK(r.cpu.code_size() == 4);
  // push 0x11223344; pop ecx; mov eax, esp; add eax, -4 via lea; hlt (-> #GP at CPL 3)
  r.put(0x20000, {0x68, 0x44, 0x33, 0x22, 0x11, 0x59, 0x89, 0xe0, 0xf4});
  r.gate(13, 0x41000);
  r.put(0x41000, {0xf4});
  r.step(6);
  CHECK(r.cpu.gpr[RCX] == 0x11223344);
  CHECK(r.cpu.gpr[RAX] == 0x30000);                // 32-bit push/pop left ESP where it was
  CHECK(r.mem.read(0x30000 - 4, 4) == 0x11223344);  // a 4-byte push
  CHECK(r.cpu.long64());                           // the #GP handler runs in 64-bit mode
}

TEST_CASE("#DF when delivering a contributory fault faults, triple fault stops the machine (SDM Table 6-5)") {
  LongModeRig r;
  r.cpu.idtr = TableReg{LongModeRig::kIdt, 8 * 16 + 15};  // vectors 0..8 only
  r.gate(8, 0x40000);
  r.put(0x40000, {0xf4});
  // #UD: gate 6 is empty (invalid type) -> #GP, handled serially; #GP's gate
  // (13) is beyond the IDT limit -> a second contributory fault -> #DF.
  r.cpu.rip = 0x20000;
  r.cpu.gpr[RSP] = LongModeRig::kKernelStack;
  r.put(0x20000, {0x0f, 0x0b});  // ud2 -> #UD (6): gate 6 absent (not present) -> #NP -> #DF
  r.step(3);
  CHECK(r.cpu.rip == 0x40001);
  CHECK(r.mem.read(LongModeRig::kKernelStack - 8, 8) == 0x10);  // #DF delivered on the same stack: SS

  LongModeRig t;
  t.cpu.idtr = TableReg{LongModeRig::kIdt, 0};  // nothing is deliverable
  t.cpu.rip = 0x20000;
  t.cpu.gpr[RSP] = LongModeRig::kKernelStack;
  t.put(0x20000, {0x0f, 0x0b});
  StopCause s = t.step(3);
  CHECK(s == StopCause::TripleFault);
  CHECK(t.cpu.stop_detail().find("triple fault") != std::string::npos);
}

TEST_CASE("32-bit protected mode: BOUND raises #BR out of range, ARPL adjusts RPL (SDM Vol. 2 BOUND, ARPL)") {
  Rig r;
  r.cpu.cr0 = cr0::PE | cr0::ET;
  const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  for (unsigned s = 0; s < kNumSegs; ++s) r.cpu.seg[s] = Segment{0x10, 0, 0xffffffff, data};
  r.cpu.seg[CS] = Segment{0x08, 0, 0xffffffff, ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::DB | ar::G};
  r.cpu.mode_changed();
  r.cpu.set_intercept_exceptions(true);
  r.put(0x3000, {0xf6, 0xff, 0xff, 0xff, 0x0a, 0x00, 0x00, 0x00});  // bounds [-10, 10]
  // mov eax, -10; bound eax, [0x3000]; mov eax, 10; bound eax, [0x3000];
  // mov bx, 0x0008; mov cx, 0x0003; arpl bx, cx; mov eax, 11; bound eax, [0x3000]
  r.put(0x100000, {0xb8, 0xf6, 0xff, 0xff, 0xff, 0x62, 0x05, 0x00, 0x30, 0x00, 0x00, 0xb8, 0x0a, 0x00, 0x00, 0x00,
                   0x62, 0x05, 0x00, 0x30, 0x00, 0x00, 0x66, 0xbb, 0x08, 0x00, 0x66, 0xb9, 0x03, 0x00, 0x63, 0xcb,
                   0xb8, 0x0b, 0x00, 0x00, 0x00, 0x62, 0x05, 0x00, 0x30, 0x00, 0x00});
  r.cpu.rip = 0x100000;
  StopCause s = r.step(20);
  CHECK((r.cpu.gpr[RBX] & 0xffff) == 0x000b);  // RPL raised from 0 to 3
  CHECK(r.cpu.flags.zf());
  REQUIRE(s == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kBR);
  CHECK(r.cpu.rip == 0x100025);  // the third BOUND, with 11 > 10
}

TEST_CASE("INT1 (ICEBP) from CPL 3 is delivered through a DPL 0 gate, as a trap (SDM Vol. 2 INT1)") {
  LongModeRig r;
  r.gate(1, 0x40000, 0);
  r.put(0x40000, {0xf4});
  r.enter_user(0x20000, 0x30000);
  r.put(0x20000, {0xf1});
  r.step(2);
  CHECK(r.cpu.rip == 0x40001);
  CHECK(r.mem.read(LongModeRig::kKernelStack - 40, 8) == 0x20001);  // trap: RIP after INT1, no error code
}

namespace {

// An interrupt controller stand-in: one vector, pending until acknowledged.
struct OneInterrupt final : InterruptSource {
  bool pending = false;
  u8 vector = 0x20;
  unsigned acks = 0;
  bool has_interrupt() override { return pending; }
  u8 acknowledge() override {
    pending = false;
    ++acks;
    return vector;
  }
};

}  // namespace

TEST_CASE("external interrupts: masked by IF, taken one instruction after STI (SDM Vol. 2 STI)") {
  LongModeRig r;
  OneInterrupt irq;
  irq.pending = true;
  r.cpu.set_interrupt_source(&irq);
  r.gate(0x20, 0x40000);
  r.put(0x40000, {0xf4});
  r.cpu.gpr[RSP] = LongModeRig::kKernelStack;
  r.cpu.rip = 0x20000;
  // nop; sti; inc eax; inc eax; hlt
  r.put(0x20000, {0x90, 0xfb, 0xff, 0xc0, 0xff, 0xc0, 0xf4});
  r.step(1);
  CHECK(irq.acks == 0);  // IF=0: pending but not taken
  r.step(10);
  CHECK(irq.acks == 1);
  CHECK(r.cpu.gpr[RAX] == 1);  // the instruction after STI ran first
  CHECK(r.mem.read(LongModeRig::kKernelStack - 40, 8) == 0x20004);  // return RIP: the second inc
  CHECK(r.cpu.rip == 0x40001);
  CHECK(!(r.cpu.rflags() & fl::IF));  // an interrupt gate clears IF
}

TEST_CASE("HLT sleeps until a scheduler event raises an interrupt; virtual time jumps to the event") {
  LongModeRig r;
  OneInterrupt irq;
  r.cpu.set_interrupt_source(&irq);
  r.gate(0x20, 0x40000);
  r.put(0x40000, {0xbb, 0x07, 0x00, 0x00, 0x00, 0xf4});  // mov ebx, 7; hlt (IF now 0)
  r.cpu.gpr[RSP] = LongModeRig::kKernelStack;
  r.cpu.rip = 0x20000;
  r.put(0x20000, {0xfb, 0xf4, 0x90});  // sti; hlt; nop
  r.sched.schedule_at(100'000, "timer", [&] { irq.pending = true; });
  StopCause s = r.step(1'000'000);
  CHECK(s == StopCause::HaltedForever);  // the handler halts with IF=0
  CHECK(r.cpu.gpr[RBX] == 7);
  CHECK(r.mem.read(LongModeRig::kKernelStack - 40, 8) == 0x20002);  // woke after the HLT
  CHECK(r.cpu.icount() >= 100'000);  // time advanced to the event...
  CHECK(r.cpu.retired() == 4);       // ...while only four instructions ran
}

TEST_CASE("32-bit protected mode: LDS/LSS load a far pointer from memory; far JMP through memory (SDM Vol. 2 LDS, JMP)") {
  Rig r;
  const u64 gdt = 0x5000;
  r.put64(gdt + 0x08, seg_desc(0, 0xfffff, kCode, kFlagG | kFlagDB));
  r.put64(gdt + 0x10, seg_desc(0, 0xfffff, kData, kFlagG | kFlagDB));
  r.put64(gdt + 0x18, seg_desc(0x10000, 0xfffff, kData, kFlagG | kFlagDB));  // data based at 64 KiB
  r.cpu.gdtr = TableReg{gdt, 0x1f};
  r.cpu.cr0 = cr0::PE | cr0::ET;
  r.cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, r.mem.read(gdt + 0x08, 8));
  for (unsigned s : {DS, ES, SS, FS, GS}) r.cpu.seg[s] = Cpu::segment_from_descriptor(0x10, r.mem.read(gdt + 0x10, 8));
  r.cpu.mode_changed();
  r.put(0x3000, {0x44, 0x33, 0x22, 0x11, 0x18, 0x00});  // 0x18:0x11223344
  // After LDS, DS is based at 64 KiB: the next two pointers are read there.
  r.put(0x13010, {0x00, 0x80, 0x00, 0x00, 0x18, 0x00});  // 0x18:0x8000
  r.put(0x13020, {0x00, 0x10, 0x10, 0x00, 0x08, 0x00});  // 0x08:0x101000
  // lds eax, [0x3000]; lss esp, [0x3010]; jmp far [0x3020]
  r.put(0x100000, {0xc5, 0x05, 0x00, 0x30, 0x00, 0x00, 0x0f, 0xb2, 0x25, 0x10, 0x30, 0x00, 0x00,
                   0xff, 0x2d, 0x20, 0x30, 0x00, 0x00});
  // at 0x101000: mov ebx, [0] (through DS based at 64 KiB); hlt
  r.put(0x101000, {0x8b, 0x1d, 0x00, 0x00, 0x00, 0x00, 0xf4});
  r.put(0x10000, {0xef, 0xbe, 0xad, 0xde});
  r.cpu.rip = 0x100000;
  r.cpu.set_intercept_exceptions(true);
  StopCause stop = r.step(10);
  INFO("vector " << int(r.cpu.intercepted_exception().vector) << " error " << r.cpu.intercepted_exception().error);
  CHECK(stop == StopCause::HaltedForever);
  CHECK(u32(r.cpu.gpr[RAX]) == 0x11223344);
  CHECK(r.cpu.seg[DS].selector == 0x18);
  CHECK(r.cpu.seg[DS].base == 0x10000);
  CHECK(r.cpu.seg[SS].selector == 0x18);
  CHECK(u32(r.cpu.gpr[RSP]) == 0x8000);
  CHECK(r.cpu.seg[CS].selector == 0x08);
  CHECK(u32(r.cpu.gpr[RBX]) == 0xdeadbeef);
  CHECK(r.cpu.rip == 0x101007);
}

TEST_CASE("INVLPG makes a changed page-table entry visible (SDM Vol. 3A §4.10.4)") {
  LongModeRig r;
  r.put(0x60000, {0x11});
  r.put(0x61000, {0x22});
  const u64 pte = LongModeRig::kPml4 + 0x3000 + 0x60 * 8;  // maps linear 0x60000
  // mov al, [0x60000]; <the PTE changes to 0x61000>; invlpg [0x60000]; mov bl, [0x60000]; hlt
  r.put(0x20000, {0x8a, 0x04, 0x25, 0x00, 0x00, 0x06, 0x00});
  r.put(0x20007, {0x0f, 0x01, 0x3c, 0x25, 0x00, 0x00, 0x06, 0x00, 0x8a, 0x1c, 0x25, 0x00, 0x00, 0x06, 0x00, 0xf4});
  r.cpu.rip = 0x20000;
  r.step(1);
  CHECK((r.cpu.gpr[RAX] & 0xff) == 0x11);
  r.put64(pte, 0x61000 | 7);
  r.step(10);
  CHECK((r.cpu.gpr[RBX] & 0xff) == 0x22);
}

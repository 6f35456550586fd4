// Hardware task switching (SDM Vol. 3A ch. 7): what is saved in the old
// TSS and loaded from the new one, busy bits, the back link and NT for
// nested tasks, IRET back, task gates in the GDT and IDT (with an error
// code pushed on the new task's stack), CR0.TS, and the checks of Table 7-1.
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(call_tss32);
SNIPPET(jmp_taskgate32);
SNIPPET(int21_32);
SNIPPET(iret32);
SNIPPET(ud2_32);

void load(CpuRig& r, u64 at, const u8* b, const u8* e) { r.mem.write_block(at, b, size_t(e - b)); }

// A second task: TSS at kTss2 (GDT 0x38), task gate to it at GDT 0x40 and
// IDT vector 0x21 (and #GP's vector 13).
struct TaskRig : Prot32Rig {
  static constexpr u64 kTss2 = 0xa000;
  TaskRig() {
    desc(0x38, seg_desc(u32(kTss2), 0x67, 0x89, 0));
    desc(0x40, gate_desc(0x38, 0, 0x5, 0));
    put64(kIdt + 0x21 * 8, gate_desc(0x38, 0, 0x5, 0));
    put32(kTss2 + 0x1c, 0);        // CR3 (paging off)
    put32(kTss2 + 0x20, 0x12000);  // EIP
    put32(kTss2 + 0x24, 0x2);      // EFLAGS
    for (unsigned r = 0; r < 8; ++r) put32(kTss2 + 0x28 + 4 * r, 0x1000 + r);
    put32(kTss2 + 0x38, 0x70000);  // ESP
    for (unsigned s = 0; s < 6; ++s) put32(kTss2 + 0x48 + 4 * s, s == CS ? 0x08 : 0x10);
    put32(kTss2 + 0x60, 0);  // LDT
    load(0x12000, ud2_32, ud2_32_end);
  }
  u64 desc_of(u16 sel) { return get(kGdt + sel, 8); }
  bool busy(u16 sel) { return (desc_of(sel) >> 41) & 1; }
};

}  // namespace

TEST_CASE("CALL to a TSS: old state saved, new state loaded, back link, NT, both busy, CR0.TS; IRET returns") {
  TaskRig r;
  load(r, 0x10000, call_tss32, call_tss32_end);
  r.cpu.rip = 0x10000;
  r.cpu.gpr[RBX] = 0xb0b0;
  REQUIRE(r.run_to_exception());
  REQUIRE(r.cpu.intercepted_exception().vector == kUD);
  CHECK(r.cpu.rip == 0x12000);
  CHECK(r.cpu.tr.selector == 0x38);
  CHECK(r.cpu.gpr[RAX] == 0x1000);
  CHECK(r.cpu.gpr[RSP] == 0x70000);
  CHECK(r.cpu.gpr[RDI] == 0x1007);
  CHECK((r.cpu.rflags() & fl::NT) != 0);
  CHECK((r.cpu.cr0 & cr0::TS) != 0);
  CHECK(r.get(TaskRig::kTss2, 2) == 0x28);  // back link: the old TSS
  CHECK(r.busy(0x38));
  CHECK(r.busy(0x28));  // a nested task's caller stays busy
  // The old TSS holds the caller's state; EIP after the CALL.
  CHECK(r.get(Prot32Rig::kTss + 0x20, 4) == 0x10000 + 5 + 7);
  CHECK(r.get(Prot32Rig::kTss + 0x28, 4) == 0xaaaa);  // EAX
  CHECK(r.get(Prot32Rig::kTss + 0x34, 4) == 0xb0b0);  // EBX
  CHECK(r.get(Prot32Rig::kTss + 0x4c, 4) == 0x08);    // CS
  // IRET with NT=1 goes back through the link.
  load(r, 0x12000, iret32, iret32_end);
  r.cpu.rip = 0x12000;
  r.cpu.gpr[RAX] = 0x5555;
  REQUIRE(r.run_to_exception());
  CHECK(r.cpu.intercepted_exception().vector == kUD);
  CHECK(r.cpu.rip == 0x10000 + 12);  // the UD2 after the CALL
  CHECK(r.cpu.tr.selector == 0x28);
  CHECK(r.cpu.gpr[RAX] == 0xaaaa);
  CHECK(r.cpu.gpr[RBX] == 0xb0b0);
  CHECK(!r.busy(0x38));  // the task returned from is no longer busy
  CHECK(r.busy(0x28));
  CHECK(r.get(TaskRig::kTss2 + 0x28, 4) == 0x5555);       // its state was saved
  CHECK(r.get(TaskRig::kTss2 + 0x20, 4) == 0x12000 + 1);  // EIP after its IRET
  CHECK(!(r.get(TaskRig::kTss2 + 0x24, 4) & fl::NT));     // saved with NT cleared
}

TEST_CASE("JMP through a task gate: the old task is no longer busy, no back link, NT clear") {
  TaskRig r;
  load(r, 0x10000, jmp_taskgate32, jmp_taskgate32_end);
  r.cpu.rip = 0x10000;
  REQUIRE(r.run_to_exception());
  CHECK(r.cpu.rip == 0x12000);
  CHECK(r.cpu.tr.selector == 0x38);
  CHECK(!(r.cpu.rflags() & fl::NT));
  CHECK(r.busy(0x38));
  CHECK(!r.busy(0x28));
  CHECK(r.get(TaskRig::kTss2, 2) == 0);  // no back link written
  CHECK(r.get(Prot32Rig::kTss + 0x28, 4) == 0xbbbb);
}

TEST_CASE("INT n through a task gate in the IDT nests the task; an exception's error code goes on the new stack") {
  TaskRig r;
  load(r, 0x10000, int21_32, int21_32_end);
  r.cpu.rip = 0x10000;
  r.step(1);  // INT 21h: delivered (not intercepted) through the task gate
  CHECK(r.cpu.rip == 0x12000);
  CHECK(r.cpu.tr.selector == 0x38);
  CHECK((r.cpu.rflags() & fl::NT) != 0);
  CHECK(r.get(TaskRig::kTss2, 2) == 0x28);
  CHECK(r.get(Prot32Rig::kTss + 0x20, 4) == 0x10002);  // returns after INT
  CHECK(r.cpu.gpr[RSP] == 0x70000);                    // nothing pushed for INT n
  // #GP through a task gate: error code pushed on the new task's stack.
  TaskRig g;
  g.put64(Prot32Rig::kIdt + 13 * 8, gate_desc(0x38, 0, 0x5, 0));
  g.put(0x10000, {0x8e, 0xd8});  // mov ds, ax
  g.cpu.gpr[RAX] = 0x0400;       // beyond the GDT limit: #GP(0x400)
  g.cpu.rip = 0x10000;
  g.step(1);  // the fault's delivery
  CHECK(g.cpu.rip == 0x12000);
  CHECK(g.cpu.tr.selector == 0x38);
  CHECK(g.cpu.gpr[RSP] == 0x70000 - 4);
  CHECK(g.get(0x70000 - 4, 4) == 0x400);
  CHECK(g.get(Prot32Rig::kTss + 0x20, 4) == 0x10000);  // the faulting instruction
}

TEST_CASE("task switch checks: busy target #GP, short TSS #TS, bad CS in the new task #TS in its context") {
  SUBCASE("CALL to a busy TSS: #GP(selector)") {
    TaskRig r;
    r.desc(0x38, r.desc_of(0x38) | u64(2) << 40);
    load(r, 0x10000, call_tss32, call_tss32_end);
    r.cpu.rip = 0x10000;
    REQUIRE(r.run_to_exception());
    CHECK(r.cpu.intercepted_exception().vector == kGP);
    CHECK(r.cpu.intercepted_exception().error == 0x38);
    CHECK(r.cpu.tr.selector == 0x28);
  }
  SUBCASE("TSS limit below 67H: #TS(selector), nothing switched") {
    TaskRig r;
    r.desc(0x38, seg_desc(u32(TaskRig::kTss2), 0x60, 0x89, 0));
    load(r, 0x10000, call_tss32, call_tss32_end);
    r.cpu.rip = 0x10000;
    REQUIRE(r.run_to_exception());
    CHECK(r.cpu.intercepted_exception().vector == kTS);
    CHECK(r.cpu.intercepted_exception().error == 0x38);
    CHECK(r.cpu.tr.selector == 0x28);
    CHECK(r.cpu.gpr[RAX] == 0xaaaa);
    CHECK(!r.busy(0x38));
  }
  SUBCASE("the new task's CS is a data segment: #TS(CS) after the switch, at the new task's EIP") {
    TaskRig r;
    r.put32(TaskRig::kTss2 + 0x4c, 0x10);
    load(r, 0x10000, call_tss32, call_tss32_end);
    r.cpu.rip = 0x10000;
    REQUIRE(r.run_to_exception());
    CHECK(r.cpu.intercepted_exception().vector == kTS);
    CHECK(r.cpu.intercepted_exception().error == 0x10);
    CHECK(r.cpu.tr.selector == 0x38);  // the switch had committed
    CHECK(r.cpu.rip == 0x12000);
    CHECK(r.cpu.gpr[RAX] == 0x1000);
  }
  SUBCASE("a task gate in the GDT with DPL < CPL: #GP(gate)") {
    TaskRig r;
    load(r, 0x10000, jmp_taskgate32, jmp_taskgate32_end);
    r.enter_user(0x10000, 0x80000);
    REQUIRE(r.run_to_exception());
    CHECK(r.cpu.intercepted_exception().vector == kGP);
    CHECK(r.cpu.intercepted_exception().error == 0x40);
  }
}

TEST_CASE("the new task's LDT and CR3 are loaded") {
  TaskRig r;
  // LDT at 0xb000 with one data segment (selector 0x04 | TI), base 0x3000.
  r.desc(0x48, seg_desc(0xb000, 0xf, 0x82, 0));
  r.put64(0xb000, seg_desc(0x3000, 0xffff, 0x92, 0));
  r.put32(TaskRig::kTss2 + 0x60, 0x48);
  r.put32(TaskRig::kTss2 + 0x54, 0x04);  // DS from the LDT
  // Paging on (one 4 MiB identity page in each directory): the new task's
  // CR3 is loaded; the old TSS's CR3 field is not written.
  for (u64 pd : {0xc000u, 0xd000u}) r.put32(pd, 0x83);
  r.put32(TaskRig::kTss2 + 0x1c, 0xd000);
  r.put32(Prot32Rig::kTss + 0x1c, 0x1234000);
  r.cpu.cr4 = cr4::PSE;
  r.cpu.cr3 = 0xc000;
  r.cpu.cr0 |= cr0::PG;
  r.cpu.paging_changed();
  load(r, 0x10000, call_tss32, call_tss32_end);
  r.cpu.rip = 0x10000;
  REQUIRE(r.run_to_exception());
  CHECK(r.cpu.ldtr.selector == 0x48);
  CHECK(r.cpu.ldtr.base == 0xb000);
  CHECK(r.cpu.seg[DS].base == 0x3000);
  CHECK(r.cpu.cr3 == 0xd000);
  CHECK(r.get(Prot32Rig::kTss + 0x1c, 4) == 0x1234000);
}

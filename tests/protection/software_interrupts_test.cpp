// INT n, INT3, INTO and INT1 in every operating mode (SDM Vol. 2 "INT n/
// INTO/INT3/INT1"; Vol. 3A §6.4.2, §6.12, §6.14, §20.1.4, §20.3): which
// handler runs and the return address it gets (the next instruction: all
// four are traps), INTO only with OF=1 and #UD in 64-bit mode, INT1 without
// the gate's DPL check, INT n in virtual-8086 mode IOPL-sensitive while the
// other three are not, and the gate DPL check for software interrupts.
#include <functional>
#include <memory>
#include <vector>

#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

constexpr u64 kCode = 0x1000, kStubs = 0xc000, kStack16 = 0x7000;
constexpr u64 stub(unsigned v) { return kStubs + 16 * v; }

struct Mode {
  const char* name;
  // Builds the machine state with `code` at kCode (IP = kCode, or 0 in
  // virtual-8086 mode where CS is 0100H), every vector's handler a HLT at
  // stub(v) running at CPL 0 with IF=0.
  std::function<std::unique_ptr<CpuRig>(const std::vector<u8>& code)> make;
  u64 ip0;                                // IP of the first instruction
  std::function<u64(CpuRig&)> pushed_ip;  // the return address in the handler's frame
  bool int_n_faults = false;              // INT n is #GP(0) (V86 with IOPL < 3)
  bool long64 = false;                    // INTO is #UD
};

void ivt_stubs(CpuRig& r) {
  for (unsigned v = 0; v < 0x50; ++v) {
    r.put(stub(v), {0xf4});
    r.mem.write(v * 4, 4, stub(v));  // 0000:stub
  }
}

std::unique_ptr<CpuRig> real_mode(const std::vector<u8>& code) {
  auto r = std::make_unique<CpuRig>();
  r->cpu.reset();
  for (unsigned s : {CS, SS, DS, ES}) r->cpu.load_segment_real(s, 0);
  r->cpu.idtr = TableReg{0, 0x3ff};
  ivt_stubs(*r);
  r->mem.write_block(kCode, code.data(), code.size());
  r->cpu.rip = kCode;
  r->cpu.gpr[RSP] = kStack16;
  r->cpu.mode_changed();
  return r;
}

// 16-bit protected mode: 16-bit code and stack segments, 16-bit interrupt
// gates (type 6), so the frame is 16 bits wide.
std::unique_ptr<CpuRig> protected16(const std::vector<u8>& code) {
  auto r = std::make_unique<CpuRig>();
  const u64 gdt = 0x5000, idt = 0x6000;
  r->put64(gdt + 0x08, seg_desc(0, 0xffff, kCodeAccess, 0));
  r->put64(gdt + 0x10, seg_desc(0, 0xffff, kDataAccess, 0));
  r->cpu.gdtr = TableReg{gdt, 0x17};
  r->cpu.idtr = TableReg{idt, 0x7ff};
  for (unsigned v = 0; v < 0x50; ++v) {
    r->put(stub(v), {0xf4});
    r->put64(idt + 8 * v, gate_desc(0x08, u32(stub(v)), 0x6, 0));
  }
  r->cpu.cr0 = cr0::PE | cr0::ET;
  r->cpu.seg[CS] = Cpu::segment_from_descriptor(0x08, r->mem.read(gdt + 0x08, 8));
  for (unsigned s : {SS, DS, ES}) r->cpu.seg[s] = Cpu::segment_from_descriptor(0x10, r->mem.read(gdt + 0x10, 8));
  r->mem.write_block(kCode, code.data(), code.size());
  r->cpu.rip = kCode;
  r->cpu.gpr[RSP] = kStack16;
  r->cpu.mode_changed();
  return r;
}

// 32-bit protected mode, at CPL 0 or CPL 3 (gates DPL 3).
std::unique_ptr<CpuRig> protected32(const std::vector<u8>& code, bool user) {
  auto r = std::make_unique<Prot32Rig>();
  for (unsigned v = 0; v < 0x50; ++v) {
    r->put(stub(v), {0xf4});
    r->gate(v, u32(stub(v)), 3);
  }
  r->mem.write_block(kCode, code.data(), code.size());
  r->cpu.rip = kCode;
  if (user) r->enter_user(u32(kCode), 0x80000);
  return r;
}

// Virtual-8086 mode (CS:IP = 0100:0000, the code at kCode), entered by
// IRETD from CPL 0 with the given IOPL.
std::unique_ptr<CpuRig> v86(const std::vector<u8>& code, unsigned iopl) {
  auto r = protected32(code, false);
  auto& p = static_cast<Prot32Rig&>(*r);
  p.put(0x12000, {0xcf});  // iretd
  const u64 sp = Prot32Rig::kKernelStack - 36;
  const u32 frame[9] = {0, 0x100, u32(fl::VM | fl::kFixed1 | (iopl << 12)), u32(kStack16), 0, 0, 0, 0, 0};
  for (unsigned k = 0; k < 9; ++k) p.put32(sp + 4 * k, frame[k]);
  p.cpu.gpr[RSP] = sp;
  p.cpu.rip = 0x12000;
  p.step(1);
  REQUIRE(p.cpu.v86());
  return r;
}

// IA-32e mode: compatibility mode at CPL 3, or 64-bit mode at CPL 0.
std::unique_ptr<CpuRig> ia32e(const std::vector<u8>& code, bool compat) {
  auto r = std::make_unique<LongModeRig>();
  for (unsigned v = 0; v < 0x50; ++v) {
    r->put(stub(v), {0xf4});
    r->gate(v, stub(v), 3);
  }
  r->mem.write_block(kCode, code.data(), code.size());
  r->cpu.rip = kCode;
  if (compat) r->enter_user(kCode, 0x30000, 0x1b);
  return r;
}

u64 read16(CpuRig& r, u64 at) { return r.mem.read(at, 2); }

const Mode kModes[] = {
    {"real mode", real_mode, kCode, [](CpuRig& r) { return read16(r, kStack16 - 6); }},
    {"16-bit protected mode", protected16, kCode, [](CpuRig& r) { return read16(r, kStack16 - 6); }},
    {"32-bit protected mode, CPL 0", [](const std::vector<u8>& c) { return protected32(c, false); }, kCode,
     [](CpuRig& r) { return r.mem.read(Prot32Rig::kKernelStack - 12, 4); }},
    {"32-bit protected mode, CPL 3", [](const std::vector<u8>& c) { return protected32(c, true); }, kCode,
     [](CpuRig& r) { return r.mem.read(Prot32Rig::kKernelStack - 20, 4); }},
    {"virtual-8086 mode, IOPL 3", [](const std::vector<u8>& c) { return v86(c, 3); }, 0,
     [](CpuRig& r) { return r.mem.read(Prot32Rig::kKernelStack - 36, 4); }},
    {"virtual-8086 mode, IOPL 0", [](const std::vector<u8>& c) { return v86(c, 0); }, 0,
     [](CpuRig& r) { return r.mem.read(Prot32Rig::kKernelStack - 36, 4); }, true},
    {"compatibility mode, CPL 3", [](const std::vector<u8>& c) { return ia32e(c, true); }, kCode,
     [](CpuRig& r) { return r.mem.read(LongModeRig::kKernelStack - 40, 8); }},
    {"64-bit mode, CPL 0", [](const std::vector<u8>& c) { return ia32e(c, false); }, kCode,
     [](CpuRig& r) { return r.mem.read(LongModeRig::kKernelStack - 40, 8); }, false, true},
};

struct Instruction {
  const char* name;
  std::vector<u8> code;
  u8 vector;     // the handler that runs
  unsigned ret;  // offset of the pushed return address from the first instruction
  u8 vector64;   // ... in 64-bit mode
  unsigned ret64;
};

const Instruction kInstructions[] = {
    {"INT3", {0xcc}, kBP, 1, kBP, 1},
    {"INT1", {0xf1}, kDB, 1, kDB, 1},
    {"INT 40H", {0xcd, 0x40}, 0x40, 2, 0x40, 2},
    // mov al, 7FH; add al, 1 (OF=1); into; ud2
    {"INTO with OF=1", {0xb0, 0x7f, 0x04, 0x01, 0xce, 0x0f, 0x0b}, kOF, 5, kUD, 4},
    // xor eax, eax (OF=0); into; ud2: INTO does nothing, UD2 faults
    {"INTO with OF=0", {0x31, 0xc0, 0xce, 0x0f, 0x0b}, kUD, 3, kUD, 2},
};

}  // namespace

TEST_CASE("INT n, INT3, INTO and INT1 in every mode: the handler and the return address (all traps)") {
  for (const Mode& m : kModes) {
    for (const Instruction& i : kInstructions) {
      CAPTURE(m.name);
      CAPTURE(i.name);
      auto r = m.make(i.code);
      const bool int_n = i.code[0] == 0xcd;
      u8 vector = m.long64 ? i.vector64 : i.vector;
      u64 ret = m.ip0 + (m.long64 ? i.ret64 : i.ret);
      if (int_n && m.int_n_faults) vector = kGP, ret = m.ip0;  // IOPL-sensitive: a #GP(0) fault at the INT
      CHECK(r->step(20) == StopCause::HaltedForever);
      CHECK(r->cpu.rip == stub(vector) + 1);
      CHECK(m.pushed_ip(*r) == ret);
      CHECK(r->cpu.cpl == 0);
    }
  }
}

TEST_CASE("INT n, INT3 and INTO check the gate's DPL (#GP(vector*8+2)); INT1 does not") {
  for (bool compat : {false, true}) {
    CAPTURE(compat);
    for (const Instruction& i : kInstructions) {
      if (i.vector == kUD) continue;  // INTO with OF=0 raises nothing
      CAPTURE(i.name);
      std::unique_ptr<CpuRig> r;
      if (compat) {
        r = ia32e(i.code, true);
        static_cast<LongModeRig&>(*r).gate(i.vector, stub(i.vector), 0);
      } else {
        r = protected32(i.code, true);
        static_cast<Prot32Rig&>(*r).gate(i.vector, u32(stub(i.vector)), 0);
      }
      CHECK(r->step(20) == StopCause::HaltedForever);
      const u64 error_at = compat ? LongModeRig::kKernelStack - 48 : Prot32Rig::kKernelStack - 24;
      if (i.vector == kDB) {
        CHECK(r->cpu.rip == stub(kDB) + 1);  // delivered as a hardware event would be
      } else {
        CHECK(r->cpu.rip == stub(kGP) + 1);
        CHECK(r->mem.read(error_at, compat ? 8 : 4) == u64(i.vector) * 8 + 2);
      }
    }
  }
}

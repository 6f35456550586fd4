// 32-bit paging (SDM Vol. 3A §4.3): 4 KiB pages, 4 MiB pages with CR4.PSE,
// PSE-36, A/D flags, #PF error codes and CR2, SMEP, INVLPG.
#include "tests/paging/rig.h"

using namespace paging_test;

namespace {

// 32-bit protected mode with 32-bit paging on: the code page identity
// mapped (supervisor, read-only), the stack page writable.
struct Legacy32 : Rig {
  Tables32 t{*this};
  static constexpr u64 kStack = 0x8000;
  explicit Legacy32(u64 ram = 64 * MiB, u64 cr4_bits = 0) : Rig(ram) {
    protected32();
    t.map4k(kCode, kCode, P);
    t.map4k(kStack - 0x1000, kStack - 0x1000, P | W);
    cpu.gpr[RSP] = kStack;
    cpu.write_cr(4, cr4_bits);
    cpu.write_cr(3, t.pd);
    cpu.write_cr(0, cpu.cr0 | cr0::PG | cr0::WP);
    REQUIRE(cpu.paging_mode() == PagingMode::Legacy32);
  }
};

}  // namespace

TEST_CASE("32-bit paging: 4 KiB pages; A on the PDE and PTE used, D only on the PTE written (SDM §4.3, §4.8)") {
  Legacy32 r;
  r.t.map4k(0x400000, 0x200000, P | W);
  r.t.map4k(0x401000, 0x201000, P | W);
  r.put32(0x200010, 0x12345678);
  r.run_ok(Asm().load(0x400010).store_imm(0x401020, 0xcafe).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x12345678);
  CHECK(r.get32(0x201020) == 0xcafe);
  CHECK((r.get32(r.t.pte_addr(0x400000)) & (A | D)) == A);
  CHECK((r.get32(r.t.pte_addr(0x401000)) & (A | D)) == (A | D));
  // The PDE references a page table: A set, bit 6 (ignored there) left alone.
  CHECK((r.get32(r.t.pde_addr(0x400000)) & (A | D)) == A);
}

TEST_CASE("32-bit paging: 4 MiB pages need CR4.PSE; without it PS is ignored and the PDE holds a page table") {
  Legacy32 r(64 * MiB, cr4::PSE);
  r.t.pde(0x800000, 0x00c00000 | P | W | PS);  // linear 8 MiB -> physical 12 MiB, one 4 MiB page
  r.put32(0xc12344, 0xfeedbeef);
  r.run_ok(Asm().load(0x812344).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0xfeedbeef);
  CHECK(r.cpu.translate(0xbffffc, Access::Read, false, nullptr, nullptr) == 0xfffffc);
  CHECK((r.get32(r.t.pde_addr(0x800000)) & (A | D)) == A);
  r.run_ok(Asm().store_imm(0x9ffff0, 1).end());
  CHECK((r.get32(r.t.pde_addr(0x800000)) & (A | D)) == (A | D));  // D in the PDE that maps the page
  CHECK(r.get32(0xdffff0) == 1);

  // CR4.PSE=0: the same PDE points to a page table at 12 MiB (§4.3, Table 4-5).
  r.put32(0xc00000 + 0x12 * 4, 0x300000 | P);  // PTE for linear 0x812000
  r.put32(0x300344, 0x11111111);
  r.cpu.write_cr(4, 0);
  r.run_ok(Asm().load(0x812344).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x11111111);
}

TEST_CASE("32-bit paging: PSE-36 puts PDE bits 20:13 into physical bits 39:32; bit 21 is reserved") {
  // RAM above 4 GiB: [0, 3 GiB) and [4 GiB, 4 GiB + 8 MiB).
  Legacy32 r(PhysMem::kHoleStart + 8 * MiB, cr4::PSE);
  // Linear 8 MiB -> physical 0x1_0040_0000: bits 31:22 = 0x004, bits 39:32 = 0x01.
  r.t.pde(0x800000, 0x00400000 | (1u << 13) | P | W | PS);
  r.mem.write(0x100400000 + 0x344, 4, 0x36363636);
  r.run_ok(Asm().load(0x800344).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x36363636);
  CHECK(r.cpu.translate(0x800344, Access::Read, false, nullptr, nullptr) == 0x100400344);

  // Bit 21 of a 4 MiB PDE is reserved (MAXPHYADDR 46 > 40: only bit 21).
  r.t.pde(0xc00000, 0x00400000 | (1u << 21) | P | W | PS);
  const GuestFault& f = r.run_fault(Asm().store_imm(0xc00010, 5).end());
  CHECK(f.vector == kPF);
  CHECK(f.error == (pf::kPresent | pf::kWrite | pf::kRsvd));
  CHECK(f.fault_address == 0xc00010);
}

TEST_CASE("32-bit paging: #PF error codes for supervisor and user accesses (SDM §4.7)") {
  Legacy32 r;
  r.t.map4k(0x400000, 0x200000, P);          // supervisor, read-only
  r.t.map4k(0x401000, 0x201000, P | U);      // user, read-only
  r.t.map4k(0x402000, 0x202000, P | W | U);  // user, writable (user code lives here)
  // Supervisor write to a read-only page with CR0.WP=1: P|W.
  const GuestFault& f = r.run_fault(Asm().store_imm(0x400004, 1).end());
  CHECK(f.vector == kPF);
  CHECK(f.error == (pf::kPresent | pf::kWrite));
  CHECK(f.fault_address == 0x400004);
  // Not present, supervisor read: 0.
  CHECK(r.run_fault(Asm().load(0x500000).end()).error == 0);
  // CR0.WP=0: supervisor writes ignore R/W (§4.6).
  r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::WP);
  r.run_ok(Asm().store_imm(0x400004, 7).end());
  CHECK(r.get32(0x200004) == 7);

  // User mode: code at 0x402000.
  r.user_mode();
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::WP);
  CHECK(r.run_fault(Asm().load(0x400000).end(), 0x402000, 0x202000).error == (pf::kPresent | pf::kUser));
  CHECK(r.run_fault(Asm().store_imm(0x401000, 1).end(), 0x402000, 0x202000).error ==
        (pf::kPresent | pf::kWrite | pf::kUser));
  CHECK(r.run_fault(Asm().store_imm(0x500000, 1).end(), 0x402000, 0x202000).error == (pf::kWrite | pf::kUser));
  // User fetch from a supervisor page: no I/D bit without SMEP in 32-bit paging.
  r.cpu.gpr[RAX] = 0x400000;
  const GuestFault& g = r.run_fault(Asm().jmp_eax(), 0x402000, 0x202000);
  CHECK(g.error == (pf::kPresent | pf::kUser));
  CHECK(g.fault_address == 0x400000);
}

TEST_CASE("32-bit paging: SMEP refuses supervisor fetches from user pages and sets I/D (SDM §4.6.1, §4.7)") {
  Legacy32 r(64 * MiB, cr4::SMEP);
  r.t.map4k(0x402000, 0x202000, P | U);
  r.put(0x202000, {0x0f, 0x0b});
  r.cpu.gpr[RAX] = 0x402000;
  const GuestFault& f = r.run_fault(Asm().jmp_eax());
  CHECK(f.vector == kPF);
  CHECK(f.error == (pf::kPresent | pf::kFetch));
  CHECK(f.fault_address == 0x402000);
  // A fetch from a not-present page reports I/D too when SMEP is on.
  r.cpu.gpr[RAX] = 0x600000;
  CHECK(r.run_fault(Asm().jmp_eax()).error == pf::kFetch);
  // SMEP off: the same fetch from the user page runs.
  r.cpu.write_cr(4, 0);
  r.cpu.gpr[RAX] = 0x402000;
  CHECK(r.run(Asm().jmp_eax()) == StopCause::Exception);
  CHECK(r.cpu.intercepted_exception().vector == kUD);  // the UD2 in the user page was fetched
  CHECK(r.cpu.rip == 0x402000);
}

TEST_CASE("32-bit paging: a page fault is delivered with CR2 and the error code on the stack") {
  Legacy32 r;
  r.cpu.set_intercept_exceptions(false);
  // GDT (flat code 0x08, data 0x10) and IDT with a 32-bit interrupt gate for
  // #PF -> handler (HLT) at kCode + 0x800.
  const u64 idt = 0x3000, gdt = 0x3800;
  r.t.map4k(idt, idt, P | W);
  r.put64(gdt + 8, seg_desc(0, 0xfffff, 0x9b, 0xc));
  r.put64(gdt + 16, seg_desc(0, 0xfffff, 0x93, 0xc));
  r.cpu.gdtr = TableReg{gdt, 23};
  const u32 handler = kCode + 0x800;
  r.put32(idt + 14 * 8, (handler & 0xffff) | (0x08u << 16));
  r.put32(idt + 14 * 8 + 4, (handler & 0xffff0000) | 0x8e00);
  r.cpu.idtr = TableReg{idt, 0x7ff};
  r.put(kCode + 0x800, {0xf4});
  r.t.map4k(0x400000, 0x200000, P);
  Asm code = Asm().store_imm(0x400abc, 1).end();
  CHECK(r.run(code) == StopCause::HaltedForever);
  CHECK(r.cpu.cr2 == 0x400abc);
  CHECK(r.cpu.rip == handler + 1);
  const u64 esp = u32(r.cpu.gpr[RSP]);
  CHECK(esp == Legacy32::kStack - 16);                 // error, EIP, CS, EFLAGS
  CHECK(r.get32(esp) == (pf::kPresent | pf::kWrite));  // the error code
  CHECK(r.get32(esp + 4) == kCode);                    // the faulting instruction
}

TEST_CASE("32-bit paging: a cached translation stays until INVLPG or MOV to CR3 (SDM §4.10.4)") {
  Legacy32 r;
  r.t.map4k(0x400000, 0x200000, P | W);
  r.put32(0x200000, 0xaaaa);
  r.put32(0x210000, 0xbbbb);
  r.run_ok(Asm().load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0xaaaa);
  r.t.map4k(0x400000, 0x210000, P | W);  // remap without invalidating
  r.run_ok(Asm().load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0xaaaa);  // the TLB still holds the old translation
  r.run_ok(Asm().invlpg(0x400000).load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0xbbbb);
  r.t.map4k(0x400000, 0x200000, P | W);
  r.run_ok(Asm().from_cr(3).to_cr(3).load(0x400000).end());  // reload CR3 with its own value
  CHECK(u32(r.cpu.gpr[RAX]) == 0xaaaa);
}

TEST_CASE("32-bit paging: a not-present entry is never cached (SDM §4.10.2.3)") {
  Legacy32 r;
  CHECK(r.run_fault(Asm().load(0x400000).end()).vector == kPF);
  r.t.map4k(0x400000, 0x200000, P);
  r.put32(0x200000, 0x5150);
  r.run_ok(Asm().load(0x400000).end());  // no invalidation needed
  CHECK(u32(r.cpu.gpr[RAX]) == 0x5150);
}

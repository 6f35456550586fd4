// 4-level and 5-level paging (SDM Vol. 3A §4.5): large pages, A/D, reserved
// and ignored bits, and the access-rights controls SMEP, SMAP (with
// STAC/CLAC and implicit accesses) and protection keys (§4.6).
#include "tests/paging/rig.h"

#include "mmu/paging.h"

using namespace paging_test;

namespace {

constexpr u64 kUserCode = 0x402000;  // user page for CPL 3 code, physical 0x202000

u64 pkey(unsigned k) { return u64(k) << 59; }

struct Long4 : Rig {
  Tables4 t{*this};
  explicit Long4(u64 extra_cr4 = 0) {
    t.map4k(kCode, kCode, P);
    t.map4k(kUserCode, 0x202000, P | U);
    long64(t.pml4, extra_cr4);
  }
  const GuestFault& user_fault(const Asm& code) {
    user_mode();
    return run_fault(code, kUserCode, 0x202000);
  }
};

}  // namespace

TEST_CASE("4-level paging: A on every level used, D only in the entry that maps the page, on a write") {
  Long4 r;
  r.t.map4k(0x400000, 0x200000, P | W);
  r.run_ok(Asm().load(0x400010).end());
  const u64 levels[] = {r.t.entry_addr(0x400000, 4), r.t.entry_addr(0x400000, 3), r.t.entry_addr(0x400000, 2),
                        r.t.entry_addr(0x400000, 1)};
  for (u64 e : levels) CHECK((r.get64(e) & (A | D)) == A);
  // The translation is now cached with D=0: the write must still set D (§4.8).
  r.run_ok(Asm().store_imm(0x400010, 1).end());
  for (int i = 0; i < 3; ++i) CHECK((r.get64(levels[i]) & (A | D)) == A);
  CHECK((r.get64(levels[3]) & (A | D)) == (A | D));
}

TEST_CASE("4-level paging: 2 MiB and 1 GiB pages; each is one TLB entry of its own size") {
  Rig r(64 * MiB);
  Tables4 t(r);
  t.map4k(kCode, kCode, P);
  t.map2m(0x40000000, 0x800000, P | W);  // 2 MiB page at 1 GiB
  t.map1g(0x80000000, 0x0, P | W);       // 1 GiB page at 2 GiB -> physical 0
  r.long64(t.pml4);
  r.put32(0x9ff000, 0x2222);
  r.put32(0x3ff000, 0x1111);
  // mov rbx, 0x40000000; mov ecx, 512; loop: mov eax, [rbx]; add rbx, 0x1000; dec ecx; jnz loop
  Asm loop = Asm()
                 .raw({0x48, 0xbb})
                 .d64(0x40000000)
                 .mov_ecx(512)
                 .raw({0x8b, 0x03, 0x48, 0x81, 0xc3})
                 .d32(0x1000)
                 .raw({0xff, 0xc9, 0x75, 0xf3});
  r.run_ok(loop.end(), kCode, kCode, 5000);
  CHECK(u32(r.cpu.gpr[RAX]) == 0x2222);    // the last page read: 0x401ff000 -> 0x9ff000
  CHECK(r.cpu.tlb().live_entries() == 2);  // the code page and the one 2 MiB page
  CHECK((r.get64(t.entry_addr(0x40000000, 2)) & (A | D)) == A);

  // The same loop over 512 pages of the 1 GiB page, 2 MiB apart.
  Asm loop1g = Asm()
                   .raw({0x48, 0xbb})
                   .d64(0x80000000)
                   .mov_ecx(512)
                   .raw({0x8b, 0x03, 0x48, 0x81, 0xc3})
                   .d32(0x200000)
                   .raw({0xff, 0xc9, 0x75, 0xf3});
  // (RAM is 64 MiB: most of these pages read as open bus; the TLB does not care.)
  r.run_ok(loop1g.end(), kCode, kCode, 5000);
  CHECK(r.cpu.tlb().live_entries() == 3);
  CHECK(r.cpu.translate(0x803ff000, Access::Read, false, nullptr, nullptr) == 0x3ff000);
  r.run_ok(Asm().load_at(0x803ff000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x1111);
}

TEST_CASE("4-level paging: reserved bits set RSVD; bits 58:52 are ignored (SDM §4.5, Table 4-14 ff.)") {
  Long4 r;
  r.t.map4k(0x400000, 0x200000 | (u64(0x7f) << 52), P | W);  // ignored bits
  r.run_ok(Asm().load(0x400000).end());
  r.t.map4k(0x401000, 0x201000 | (u64(1) << kMaxPhysAddrBits), P | W);
  CHECK(r.run_fault(Asm().load(0x401000).end()).error == (pf::kPresent | pf::kRsvd));
  r.t.map1g(0xc0000000, 0x40000000 | (1u << 13), P | W);
  CHECK(r.run_fault(Asm().load_at(0xc0000000).end()).error == (pf::kPresent | pf::kRsvd));
  // PS in a PML4E is reserved.
  r.put64(r.t.pml4 + 8 * 1, 0x0 | P | W | PS);  // PML4E for 512 GiB..1 TiB
  CHECK(r.run_fault(Asm().load_at(0x8000000000).end()).error == (pf::kPresent | pf::kRsvd));
}

TEST_CASE("5-level paging: the walker takes a PML5 and reports five steps (SDM §4.5)") {
  Rig r;
  Tables4 t(r);
  const u64 pml5 = r.alloc_table();
  const u64 lin = 0x0001'00ab'cdef'1234ull;  // bits 56:48 = 1: PML5 index 1
  r.put64(pml5 + 8, t.pml4 | P | W);
  // The PML4 reached through PML5[1] is indexed by bits 47:39 of `lin`.
  t.map4k(lin & 0xffff'ffff'ffffull, 0x7000, P | W);
  WalkRequest req;
  req.mode = PagingMode::Level5;
  req.cr3 = pml5;
  req.linear = lin;
  std::vector<WalkStep> steps;
  WalkResult w = walk_page_tables(r.mem, req, &steps);
  CAPTURE(w.pf_error);
  CAPTURE(steps.size());
  REQUIRE(w.ok);
  CHECK(w.pa == 0x7234);
  REQUIRE(steps.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(steps[size_t(i)].level == 5 - i);
  CHECK(steps[0].entry_pa == pml5 + 8);
  // The same address under 4-level paging ignores bits 56:48 (the caller
  // checks canonical form): the same PML4 entry.
  req.mode = PagingMode::Level4;
  req.cr3 = t.pml4;
  CHECK(walk_page_tables(r.mem, req).pa == 0x7234);
}

TEST_CASE("every format returns its list of table reads; a PAE PDPTE comes from its register") {
  Rig r;
  r.protected32();
  Tables32 t32(r);
  t32.map4k(0x400000, 0x5000, P);
  r.cpu.write_cr(3, t32.pd);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::PG);
  std::vector<WalkStep> steps;
  CHECK(r.cpu.translate(0x400123, Access::Read, false, &steps, nullptr) == 0x5123);
  REQUIRE(steps.size() == 2);
  CHECK(steps[0].entry_pa == t32.pde_addr(0x400000));
  CHECK(steps[1].entry_pa == t32.pte_addr(0x400000));
  CHECK((r.get32(steps[1].entry_pa) & A) == 0);  // a debugger translation sets no A flag

  r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::PG);
  TablesPae tp(r);
  tp.map4k(0x400000, 0x6000, P);
  r.cpu.write_cr(3, tp.pdpt);
  r.cpu.write_cr(4, cr4::PAE);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::PG);
  steps.clear();
  CHECK(r.cpu.translate(0x400123, Access::Read, false, &steps, nullptr) == 0x6123);
  REQUIRE(steps.size() == 3);
  CHECK(steps[0].from_register);
  CHECK(steps[0].entry_pa == tp.pdpt);
  CHECK(!steps[1].from_register);
}

TEST_CASE("SMEP: supervisor fetches from user pages fault with I/D; XD refuses user fetches (SDM §4.6.1)") {
  Long4 r(cr4::SMEP);
  r.cpu.gpr[RAX] = kUserCode;
  const GuestFault& f = r.run_fault(Asm().jmp_eax());
  CHECK(f.vector == kPF);
  CHECK(f.error == (pf::kPresent | pf::kFetch));
  CHECK(f.fault_address == kUserCode);
  // SMEP does not stop user data reads by the supervisor, nor CPL 3 fetches.
  r.run_ok(Asm().load(u32(kUserCode)).end());
  r.t.map4k(0x403000, 0x203000, P | U | XD);
  r.cpu.gpr[RAX] = 0x403000;
  CHECK(r.user_fault(Asm().jmp_eax()).error == (pf::kPresent | pf::kUser | pf::kFetch));
}

TEST_CASE("SMAP: supervisor data accesses to user pages need EFLAGS.AC=1 (STAC/CLAC); implicit ones never pass") {
  Long4 r(cr4::SMAP);
  r.t.map4k(0x400000, 0x200000, P | W | U);
  r.put32(0x200000, 0x5a5a);
  const GuestFault& f = r.run_fault(Asm().load(0x400000).end());
  CHECK(f.vector == kPF);
  CHECK(f.error == pf::kPresent);
  CHECK(f.fault_address == 0x400000);
  CHECK(r.run_fault(Asm().store_imm(0x400000, 1).end()).error == (pf::kPresent | pf::kWrite));
  // STAC allows them; CLAC takes that back at once (the decision is not cached).
  const GuestFault& g = r.run_fault(Asm().stac().store_imm(0x400004, 7).load(0x400000).clac().load(0x400000).end());
  CHECK(u32(r.cpu.gpr[RAX]) == 0x5a5a);
  CHECK(r.get32(0x200004) == 7);
  CHECK(g.error == pf::kPresent);
  CHECK(r.cpu.rip == kCode + 3 + 7 + 11 + 3);  // the load after CLAC
  // Implicit supervisor accesses (a GDT in a user page) fault even with AC=1.
  r.put64(0x200010, seg_desc(0, 0xfffff, 0x93, 0xc));
  r.cpu.gdtr = TableReg{0x400000, 0x17};
  r.cpu.gpr[RAX] = 0x10;
  const GuestFault& h = r.run_fault(Asm().stac().mov_ds_ax().end());
  CHECK(h.vector == kPF);
  CHECK(h.error == pf::kPresent);
  CHECK(h.fault_address == 0x400010);
  // Without SMAP everything passes.
  r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::SMAP);
  r.run_ok(Asm().clac().load(0x400000).mov_eax(0x10).mov_ds_ax().end());
}

TEST_CASE("STAC and CLAC are CPL 0 only (#UD), and set and clear EFLAGS.AC") {
  Long4 r;
  r.run_ok(Asm().stac().end());
  CHECK((r.cpu.rflags() & fl::AC) != 0);
  r.run_ok(Asm().clac().end());
  CHECK((r.cpu.rflags() & fl::AC) == 0);
  CHECK(r.user_fault(Asm().stac().end()).vector == kUD);
  CHECK(r.run_fault(Asm().clac().end(), kUserCode, 0x202000).vector == kUD);
}

TEST_CASE("protection keys: PKRU AD/WD refuse data accesses to user pages, with the PK error bit (SDM §4.6.2)") {
  Long4 r(cr4::PKE);
  r.t.map4k(0x400000, 0x200000, P | W | U | pkey(1));
  r.t.map4k(0x401000, 0x201000, P | W | U);        // key 0
  r.t.map4k(0x404000, 0x204000, P | W | pkey(1));  // a supervisor page: keys do not apply
  u32 out[4];
  r.cpu.cpuid(7, 0, out);
  CHECK((out[2] & (1u << 4)) != 0);  // OSPKE mirrors CR4.PKE
  // Access-disable for key 1 (PKRU bit 2).
  r.run_ok(Asm().mov_eax(4).mov_ecx(0).mov_edx(0).wrpkru().load(0x401000).load(0x404000).end());
  CHECK(r.cpu.pkru == 4);
  const GuestFault& f = r.run_fault(Asm().load(0x400000).end());
  CHECK(f.vector == kPF);
  CHECK(f.error == (pf::kPresent | pf::kPk));
  CHECK(f.fault_address == 0x400000);
  // A translation cached while PKRU allowed it is refused after WRPKRU.
  const GuestFault& g = r.run_fault(
      Asm().mov_eax(0).mov_ecx(0).mov_edx(0).wrpkru().load(0x400000).mov_eax(4).wrpkru().load(0x400000).end());
  CHECK(g.error == (pf::kPresent | pf::kPk));
  // Write-disable (bit 3): reads pass, supervisor writes fault with CR0.WP=1 only.
  r.run_ok(Asm().mov_eax(8).mov_ecx(0).mov_edx(0).wrpkru().load(0x400000).end());
  CHECK(r.run_fault(Asm().store_imm(0x400000, 1).end()).error == (pf::kPresent | pf::kWrite | pf::kPk));
  r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::WP);
  r.run_ok(Asm().store_imm(0x400000, 2).end());
  CHECK(r.get32(0x200000) == 2);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::WP);
  // User mode: WD refuses writes, AD refuses reads; fetches are never checked.
  r.user_mode();
  CHECK(r.run_fault(Asm().store_imm(0x400000, 1).end(), kUserCode, 0x202000).error ==
        (pf::kPresent | pf::kWrite | pf::kUser | pf::kPk));
  r.run_ok(Asm().load(0x400000).mov_eax(12).mov_ecx(0).mov_edx(0).wrpkru().end(), kUserCode, 0x202000);
  CHECK(r.cpu.pkru == 12);
  CHECK(r.run_fault(Asm().load(0x400000).end(), kUserCode, 0x202000).error == (pf::kPresent | pf::kUser | pf::kPk));
  r.t.map4k(0x405000, 0x205000, P | U | pkey(1));
  r.put(0x205000, {0x0f, 0x0b});
  r.cpu.gpr[RAX] = 0x405000;
  CHECK(r.run_fault(Asm().jmp_eax(), kUserCode, 0x202000).vector == kUD);  // the UD2 there was fetched
  CHECK(r.cpu.rip == 0x405000);
}

TEST_CASE("RDPKRU/WRPKRU: #UD without CR4.PKE, #GP(0) with ECX (or EDX) not zero") {
  Long4 r(cr4::PKE);
  r.cpu.pkru = 0x55;
  r.cpu.gpr[RDX] = ~u64(0);
  r.cpu.gpr[RCX] = u64(1) << 32;  // the upper half of RCX is ignored
  r.run_ok(Asm().rdpkru().end());
  CHECK(r.cpu.gpr[RAX] == 0x55);
  CHECK(r.cpu.gpr[RDX] == 0);
  CHECK(r.run_fault(Asm().mov_ecx(1).rdpkru().end()).vector == kGP);
  CHECK(r.run_fault(Asm().mov_eax(0).mov_ecx(0).mov_edx(1).wrpkru().end()).vector == kGP);
  CHECK(r.cpu.pkru == 0x55);
  r.cpu.write_cr(4, r.cpu.cr4 & ~cr4::PKE);
  CHECK(r.run_fault(Asm().mov_ecx(0).rdpkru().end()).vector == kUD);
  CHECK(r.run_fault(Asm().mov_ecx(0).mov_edx(0).wrpkru().end()).vector == kUD);
  u32 out[4];
  r.cpu.cpuid(7, 0, out);
  CHECK((out[2] & (1u << 4)) == 0);  // OSPKE follows CR4.PKE
  CHECK((out[2] & (1u << 3)) != 0);  // PKU is reported
}

TEST_CASE("CR0.WP: toggling it changes what supervisor writes may do at once") {
  Long4 r;
  r.t.map4k(0x400000, 0x200000, P);
  r.cpu.write_cr(0, r.cpu.cr0 & ~cr0::WP);
  r.run_ok(Asm().store_imm(0x400000, 3).end());  // cached as writable for WP=0
  CHECK(r.get32(0x200000) == 3);
  r.cpu.write_cr(0, r.cpu.cr0 | cr0::WP);
  CHECK(r.run_fault(Asm().store_imm(0x400000, 4).end()).error == (pf::kPresent | pf::kWrite));
  CHECK(r.get32(0x200000) == 3);
}

// Cached translation information in VMX (SDM Vol. 3C §28.3): entries
// tagged with PCID, VPID and EP4TA; what INVEPT, INVVPID (all four types),
// INVLPG and VM transitions must drop (§28.3.3.1), and that a stale entry
// is still used where the SDM lets a processor keep it (§28.3.3.2, the
// guest-physical mappings INVVPID does not touch). Unit tests of the TLB's
// contexts first, then the same rules seen from guest code.
#include <vector>

#include "tests/ept/ept_rig.h"

namespace ept_test {
namespace {

Translation page(u64 frame, bool global = false, unsigned guest_shift = 0) {
  Translation t;
  t.frame = frame;
  t.writable = t.user = t.dirty = true;
  t.global = global;
  t.guest_shift = u8(guest_shift);
  return t;
}

constexpr u64 kE1 = 0x100000 | 1, kE2 = 0x200000 | 1;  // EP4TA tags (EPT in use)

bool has(TranslationTlb& tlb, u16 vpid, u64 ept_tag, u64 lin, u16 pcid = 0) {
  tlb.set_context(vpid, ept_tag);
  return tlb.lookup(lin, TlbContext{pcid}) != nullptr;
}
void put(TranslationTlb& tlb, u16 vpid, u64 ept_tag, u64 lin, bool global = false, u16 pcid = 0) {
  tlb.set_context(vpid, ept_tag);
  tlb.insert(lin, TlbContext{pcid}, page(0xa000, global));
}

TEST_CASE("TLB entries are used only in the VPID and EP4TA context they were made in") {
  TranslationTlb tlb;
  put(tlb, 1, kE1, 0x7000);
  CHECK(has(tlb, 1, kE1, 0x7000));
  CHECK(!has(tlb, 2, kE1, 0x7000));  // another VPID
  CHECK(!has(tlb, 1, kE2, 0x7000));  // another EP4TA
  CHECK(!has(tlb, 1, 0, 0x7000));    // EPT not in use: linear mappings only
  CHECK(!has(tlb, 0, 0, 0x7000));    // root operation
  CHECK(has(tlb, 1, kE1, 0x7000));   // still there
}

TEST_CASE("INVVPID: individual address, single context, all contexts, single context keeping globals") {
  TranslationTlb tlb;
  auto fill = [&] {
    tlb.flush_all();
    for (u16 vpid : {0, 1, 2}) put(tlb, vpid, vpid ? kE1 : 0, 0x7000);
    put(tlb, 1, kE2, 0x7000);
    put(tlb, 1, kE1, 0x8000);
    put(tlb, 1, kE1, 0x9000, true);
  };
  fill();
  CHECK(tlb.flush_vpid_address(1, 0x7000) == 12);
  CHECK(!has(tlb, 1, kE1, 0x7000));
  CHECK(!has(tlb, 1, kE2, 0x7000));  // every EP4TA
  CHECK(has(tlb, 1, kE1, 0x8000));   // other addresses stay
  CHECK(has(tlb, 2, kE1, 0x7000));   // other VPIDs stay
  CHECK(has(tlb, 0, 0, 0x7000));
  tlb.flush_vpid_address(1, 0x9000);
  CHECK(!has(tlb, 1, kE1, 0x9000));  // a global entry too

  fill();
  tlb.flush_vpid(1, true);  // type 3
  CHECK(!has(tlb, 1, kE1, 0x7000));
  CHECK(!has(tlb, 1, kE2, 0x7000));
  CHECK(!has(tlb, 1, kE1, 0x8000));
  CHECK(has(tlb, 1, kE1, 0x9000));  // global: kept
  CHECK(has(tlb, 2, kE1, 0x7000));
  tlb.flush_vpid(1, false);  // type 1
  CHECK(!has(tlb, 1, kE1, 0x9000));
  CHECK(has(tlb, 2, kE1, 0x7000));

  fill();
  tlb.flush_all_vpids_but_0();  // type 2
  CHECK(!has(tlb, 1, kE1, 0x7000));
  CHECK(!has(tlb, 2, kE1, 0x7000));
  CHECK(!has(tlb, 1, kE1, 0x9000));
  CHECK(has(tlb, 0, 0, 0x7000));  // VPID 0000H kept
}

TEST_CASE("INVEPT: one EP4TA's combined mappings in every VPID, or all of them; linear mappings stay") {
  TranslationTlb tlb;
  put(tlb, 1, kE1, 0x7000);
  put(tlb, 2, kE1, 0x7000);
  put(tlb, 1, kE2, 0x7000);
  put(tlb, 3, 0, 0x7000);  // VPID 3 without EPT: a linear mapping
  tlb.flush_ept(kE1 & ~u64(1));
  CHECK(!has(tlb, 1, kE1, 0x7000));
  CHECK(!has(tlb, 2, kE1, 0x7000));
  CHECK(has(tlb, 1, kE2, 0x7000));
  CHECK(has(tlb, 3, 0, 0x7000));
  tlb.flush_all_ept();
  CHECK(!has(tlb, 1, kE2, 0x7000));
  CHECK(has(tlb, 3, 0, 0x7000));
}

TEST_CASE("PCID and non-global flushes act on the current VPID only, for every EP4TA") {
  TranslationTlb tlb;
  put(tlb, 1, kE1, 0x7000, false, 5);
  put(tlb, 1, kE2, 0x7000, false, 5);
  put(tlb, 2, kE1, 0x7000, false, 5);
  tlb.set_context(1, kE1);
  tlb.flush_context(TlbContext{5});
  CHECK(!has(tlb, 1, kE1, 0x7000, 5));
  CHECK(!has(tlb, 1, kE2, 0x7000, 5));
  CHECK(has(tlb, 2, kE1, 0x7000, 5));
  put(tlb, 1, kE1, 0x7000, false, 6);
  tlb.set_context(2, kE1);
  tlb.flush_nonglobal();
  CHECK(!has(tlb, 2, kE1, 0x7000, 5));
  CHECK(has(tlb, 1, kE1, 0x7000, 6));
  tlb.set_context(1, kE1);
  tlb.flush_current_vpid();
  CHECK(!has(tlb, 1, kE1, 0x7000, 6));
}

TEST_CASE("the TLB keeps 16 contexts; a new one replaces the one selected longest ago") {
  TranslationTlb tlb;
  auto lin = [](u16 vpid) { return 0x7000 + u64(vpid) * 0x1000; };  // one set each
  for (u16 vpid = 1; vpid <= 15; ++vpid) put(tlb, vpid, kE1, lin(vpid));
  // Context 0 (root) was selected first, then VPIDs 1..15; reuse VPID 1 and
  // root so VPID 2 is the oldest.
  CHECK(has(tlb, 1, kE1, lin(1)));
  tlb.set_context(0, 0);
  put(tlb, 16, kE1, lin(16));
  CHECK(has(tlb, 1, kE1, lin(1)));
  CHECK(has(tlb, 3, kE1, lin(3)));
  CHECK(has(tlb, 16, kE1, lin(16)));
  CHECK(!has(tlb, 2, kE1, lin(2)));  // replaced: its entries went with it (last: this selects VPID 2 anew)
}

TEST_CASE("INVLPG drops every piece of a guest large page EPT maps in smaller pages") {
  TranslationTlb tlb;
  tlb.set_context(1, kE1);
  for (u64 lin : {0x40001000ull, 0x40002000ull, 0x401ff000ull})
    tlb.insert(lin, TlbContext{}, page(0x2000000 + (lin & 0x1fffff), false, 21));
  tlb.insert(0x40200000, TlbContext{}, page(0x3000000, false, 21));  // the next guest page
  CHECK(tlb.live_entries() == 4);
  CHECK(tlb.flush_address(0x40005000, TlbContext{}, true) == 21);
  CHECK(tlb.live_entries() == 1);
  CHECK(tlb.lookup(0x40200000, TlbContext{}) != nullptr);
}

// ---- seen from guest code ----

// Runs `mov eax, [lin]; ud2` and returns EAX.
u32 load(LongGuest& g, u64 lin) {
  g.run_ok(Asm{}.load(lin).end());
  return u32(g.cpu.gpr[RAX]);
}

struct Stale : LongGuest {
  Stale() {
    ept.map(0x8000, hpa(0x8000));  // 4 KiB EPT pages for the first 2 MiB
    gput32(0x8000, 0xaaaa);
    gput32(0x9000, 0xbbbb);
    mem.write(0x2f00000, 4, 0xcccc);
  }
};

TEST_CASE("a changed EPT mapping: the old one is used until INVEPT of its EPTP") {
  Stale g;
  CHECK(load(g, 0x8000) == 0xaaaa);
  g.ept.map(0x8000, 0x2f00000);
  CHECK(load(g, 0x8000) == 0xaaaa);             // stale, as the SDM allows
  g.cpu.invalidate_ept(g.ept.eptp() + 0x1000);  // another EPTP
  CHECK(load(g, 0x8000) == 0xaaaa);
  g.cpu.invalidate_ept(g.ept.eptp());
  CHECK(load(g, 0x8000) == 0xcccc);
  g.ept.map(0x8000, g.hpa(0x8000));
  g.cpu.invalidate_all_ept();
  CHECK(load(g, 0x8000) == 0xaaaa);
}

TEST_CASE("VPIDs: another VPID never sees an entry; INVVPID drops them") {
  Stale g;
  CHECK(load(g, 0x8000) == 0xaaaa);  // VPID 1
  g.gt.map4k(0x8000, 0x9000);        // the guest remaps the page, no INVLPG
  CHECK(load(g, 0x8000) == 0xaaaa);
  g.enter(false, 2);
  CHECK(load(g, 0x8000) == 0xbbbb);
  g.enter(false, 1);
  CHECK(load(g, 0x8000) == 0xaaaa);  // VPID 1's entry survived the switches
  SUBCASE("single context") {
    g.cpu.invalidate_vpid(1, false);
    CHECK(load(g, 0x8000) == 0xbbbb);
  }
  SUBCASE("individual address") {
    g.gput32(0xa000, 0x1111);
    g.gput32(0xb000, 0x2222);
    CHECK(load(g, 0xa000) == 0x1111);
    g.gt.map4k(0xa000, 0xb000);
    g.cpu.invalidate_vpid_address(1, 0x8000);
    CHECK(load(g, 0x8000) == 0xbbbb);
    CHECK(load(g, 0xa000) == 0x1111);  // another address: kept
    g.cpu.invalidate_vpid_address(2, 0xa000);
    CHECK(load(g, 0xa000) == 0x1111);  // another VPID's address
  }
  SUBCASE("all contexts") {
    g.cpu.invalidate_all_vpids();
    CHECK(load(g, 0x8000) == 0xbbbb);
  }
  SUBCASE("single context, retaining globals") {
    g.gput32(0xa000, 0x1111);
    g.gput32(0xb000, 0x2222);
    g.cpu.cr4 |= cr4::PGE;
    g.cpu.paging_changed();
    g.gt.map4k(0xa000, 0xa000, P | GW | U | G);
    CHECK(load(g, 0xa000) == 0x1111);
    CHECK(load(g, 0x8000) == 0xbbbb);  // (paging_changed dropped the old entry)
    g.gt.map4k(0xa000, 0xb000, P | GW | U | G);
    g.gt.map4k(0x8000, 0x8000);
    g.cpu.invalidate_vpid(1, true);
    CHECK(load(g, 0x8000) == 0xaaaa);
    CHECK(load(g, 0xa000) == 0x1111);  // the global translation was kept
  }
}

TEST_CASE("with VPIDs off, VM entry and VM exit drop VPID 0's entries; with VPIDs on they keep them") {
  Stale g;
  g.enter(false, 0);
  CHECK(load(g, 0x8000) == 0xaaaa);
  g.gt.map4k(0x8000, 0x9000);
  g.cpu.set_second_level(SecondLevel{});  // VM exit
  g.enter(false, 0);                      // VM entry
  CHECK(load(g, 0x8000) == 0xbbbb);
  g.enter(false, 1);
  CHECK(load(g, 0x8000) == 0xbbbb);
  g.gt.map4k(0x8000, 0x8000);
  g.cpu.set_second_level(SecondLevel{});
  g.enter(false, 1);
  CHECK(load(g, 0x8000) == 0xbbbb);  // stale: VM transitions need not invalidate
}

TEST_CASE("EPTPs: another EP4TA is another context; INVLPG reaches every EP4TA of the VPID") {
  Stale g;
  Ept ept2(g.mem, 4, kEptPool + 8 * MiB);
  ept2.map_range(0, kGuestBase, kGuestSize, RWX | WB, 21);
  ept2.map(0x8000, 0x2f00000);
  SecondLevel s1 = g.second_level(), s2 = s1;
  s2.eptp = ept2.eptp();
  CHECK(load(g, 0x8000) == 0xaaaa);
  g.cpu.set_second_level(s2);
  CHECK(load(g, 0x8000) == 0xcccc);
  g.cpu.set_second_level(s1);
  CHECK(load(g, 0x8000) == 0xaaaa);
  SUBCASE("a stale mapping of EPTP 1 survives running under EPTP 2, until INVEPT") {
    g.ept.map(0x8000, 0x2f00000);
    g.cpu.set_second_level(s2);
    CHECK(load(g, 0x8000) == 0xcccc);
    g.cpu.set_second_level(s1);
    CHECK(load(g, 0x8000) == 0xaaaa);
    g.cpu.invalidate_ept(s1.eptp);
    CHECK(load(g, 0x8000) == 0xcccc);
  }
  SUBCASE("INVLPG under EPTP 2 drops the combined mapping made under EPTP 1") {
    g.gt.map4k(0x8000, 0x9000);
    g.cpu.set_second_level(s2);
    g.run_ok(Asm{}.invlpg(0x8000).end());
    g.cpu.set_second_level(s1);
    CHECK(load(g, 0x8000) == 0xbbbb);
  }
}

TEST_CASE("guest-physical mappings: INVVPID leaves them, INVEPT drops them") {
  Stale g;
  CHECK(load(g, 0x8000) == 0xaaaa);
  // EPT moves the guest's page table to a copy that maps 0x8000 to 0x9000.
  const u64 pt = g.gt.entry(0x8000, 1) & ~u64(0xfff);
  std::vector<u8> copy(0x1000);
  g.mem.read_block(g.hpa(pt), copy.data(), copy.size());
  g.mem.write_block(0x2e00000, copy.data(), copy.size());
  g.mem.write(0x2e00000 + 8 * 8, 8, 0x9000 | P | GW | U);
  g.ept.map(pt, 0x2e00000);
  g.cpu.invalidate_vpid(1, false);
  CHECK(load(g, 0x8000) == 0xaaaa);  // the walk read the old page table
  g.cpu.invalidate_ept(g.ept.eptp());
  CHECK(load(g, 0x8000) == 0xbbbb);
}

TEST_CASE("nothing refused is cached: no INVEPT is needed after fixing a violation or misconfiguration") {
  Stale g;
  g.ept.map(0x8000, g.hpa(0x8000), RWX | (7 << 3));
  REQUIRE(g.run_ept_fault(Asm{}.load(0x8000).end()).kind == EptFaultKind::Misconfig);
  g.ept.map(0x8000, g.hpa(0x8000), X | WB);
  REQUIRE(g.run_ept_fault(Asm{}.load(0x8000).end()).kind == EptFaultKind::Violation);
  g.ept.map(0x8000, g.hpa(0x8000), R | WB);
  CHECK(load(g, 0x8000) == 0xaaaa);
}

TEST_CASE("INVLPG in the guest drops every piece of its large page that EPT split") {
  LongGuest g;
  g.gt.map_large(0x40000000, 0x600000, 2);
  g.ept.map(0x600000, g.hpa(0x600000));  // EPT now maps 6..8 MiB in 4 KiB pages
  g.gput32(0x601000, 0x11);
  g.gput32(0x602000, 0x22);
  g.gput32(0xa01000, 0x33);
  g.gput32(0xa02000, 0x44);
  CHECK(load(g, 0x40001000) == 0x11);
  CHECK(load(g, 0x40002000) == 0x22);
  g.gt.map_large(0x40000000, 0xa00000, 2);
  CHECK(load(g, 0x40001000) == 0x11);        // stale until INVLPG
  g.run_ok(Asm{}.invlpg(0x40005000).end());  // an address of the page never used
  CHECK(load(g, 0x40001000) == 0x33);
  CHECK(load(g, 0x40002000) == 0x44);
}

}  // namespace
}  // namespace ept_test

// Two-dimensional walks (SDM Vol. 3C §28.2.1, §28.2.3.2): a guest's walk in
// every paging mode reads each of its table entries through EPT, then
// translates the final guest-physical address; the trace holds every
// access, guest and EPT, in order; violations on guest table accesses and on
// the final address carry the guest-linear address and the right
// qualification bits; with EPT A/D the guest's table accesses count as
// writes.
#include <string>
#include <vector>

#include "tests/ept/ept_rig.h"

namespace ept_test {
namespace {

struct Walk {
  Rig& r;
  GuestTables gt;
  u64 pdptes[4] = {};
  SecondLevel sl;
  Walk(Rig& rig, PagingMode mode) : r(rig), gt(rig.mem, mode, 0x100000) {}
  bool set_ad = true;
  WalkResult run(u64 lin, Access acc, bool ad = false, std::vector<WalkStep>* trace = nullptr, bool user = false) {
    sl = r.second_level(ad);
    return run_with(sl, lin, acc, trace, user);
  }
  WalkResult run_with(SecondLevel& s, u64 lin, Access acc, std::vector<WalkStep>* trace = nullptr, bool user = false) {
    if (gt.mode == PagingMode::Pae) gt.pdptes(pdptes);
    EptContext ctx{r.mem, s, nullptr, true};
    WalkRequest req;
    req.mode = gt.mode;
    req.cr3 = gt.root;
    req.linear = lin;
    req.access = acc;
    req.user = user;
    req.nxe = true;
    req.pse = true;
    req.pdpte = pdptes;
    req.ept = &ctx;
    req.set_ad = set_ad;
    return walk_page_tables(r.mem, req, trace);
  }
};

const PagingMode kModes[] = {PagingMode::Legacy32, PagingMode::Pae, PagingMode::Level4, PagingMode::Level5};

const char* name(PagingMode m) {
  switch (m) {
    case PagingMode::Legacy32:
      return "32-bit";
    case PagingMode::Pae:
      return "PAE";
    case PagingMode::Level4:
      return "4-level";
    case PagingMode::Level5:
      return "5-level";
    default:
      return "none";
  }
}

// Checks that `trace` is the two-dimensional walk of a guest walk with
// `guest_levels` levels (PAE: the top one from a register) on EPT of
// `ept_levels` levels, ending with the final address `gpa`.
void check_shape(const std::vector<WalkStep>& trace, PagingMode mode, int ept_levels, u64 gpa) {
  const int top = mode == PagingMode::Legacy32 ? 2 : mode == PagingMode::Pae ? 3 : mode == PagingMode::Level5 ? 5 : 4;
  size_t i = 0;
  for (int level = top; level >= 1; --level) {
    CAPTURE(level);
    if (mode == PagingMode::Pae && level == 3) {
      REQUIRE(i < trace.size());
      CHECK((trace[i].from_register && !trace[i].ept && trace[i].level == 3));
      ++i;
      continue;
    }
    REQUIRE(i + size_t(ept_levels) < trace.size());
    const WalkStep& guest = trace[i + size_t(ept_levels)];
    CHECK(!guest.ept);
    CHECK(guest.level == level);
    CHECK(guest.entry_pa < kGuestSize);  // guest-physical
    for (int k = 0; k < ept_levels; ++k) {
      const WalkStep& e = trace[i + size_t(k)];
      CHECK(e.ept);
      CHECK(e.level == ept_levels - k);
      CHECK(e.gpa == guest.entry_pa);
      CHECK((e.entry_pa >= kEptPool && e.entry_pa < kGuestBase));  // host-physical, in the EPT tables
    }
    i += size_t(ept_levels) + 1;
  }
  REQUIRE(trace.size() == i + size_t(ept_levels));
  for (; i < trace.size(); ++i) CHECK((trace[i].ept && trace[i].gpa == gpa));
}

TEST_CASE("every guest paging mode walks its tables through EPT, and the debugger sees both dimensions") {
  for (PagingMode mode : kModes) {
    for (int ept_levels : {4, 5}) {
      CAPTURE(std::string(name(mode)));
      CAPTURE(ept_levels);
      Rig r(ept_levels);
      // 4 KiB EPT pages where the walk goes, so every EPT walk has all its
      // levels.
      r.ept.map(0x100000, kGuestBase + 0x100000);
      r.ept.map(0x345000, kGuestBase + 0x345000);
      Walk w(r, mode);
      w.gt.map4k(0x00403000, 0x345000);
      std::vector<WalkStep> trace;
      w.set_ad = false;  // the debugger's walk: reads only
      const WalkResult res = w.run(0x00403123, Access::Read, false, &trace);
      REQUIRE(res.ok);
      CHECK(res.gpa == 0x345123);
      CHECK(res.pa == kGuestBase + 0x345123);
      CHECK(res.ept_fault.kind == EptFaultKind::None);
      check_shape(trace, mode, ept_levels, 0x345123);
      // A walk that sets the guest's A flags also records the EPT walks of
      // those writes (one per guest entry in memory), before the final one.
      std::vector<WalkStep> full;
      w.set_ad = true;
      REQUIRE(w.run(0x00403123, Access::Read, false, &full).ok);
      const size_t in_memory = size_t(w.gt.top() - (mode == PagingMode::Pae ? 1 : 0));
      CHECK(full.size() == trace.size() + in_memory * size_t(ept_levels));
    }
  }
}

TEST_CASE("the guest's tables are read at their host-physical backing, wherever EPT puts them") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  w.gt.map4k(0x7000, 0x345000);
  // Move the guest's page table (level 1) to another host page: the walk
  // must read the copy there.
  const u64 pt_gpa = w.gt.entry(0x7000, 1) & ~u64(0xfff);
  const u64 moved = 0x2f00000;
  std::vector<u8> page(0x1000);
  r.mem.read_block(kGuestBase + pt_gpa, page.data(), page.size());
  r.mem.write_block(moved, page.data(), page.size());
  r.mem.write(moved + 8 * 7, 8, 0x346000 | P | GW | U);  // the copy maps the page elsewhere
  r.ept.map(pt_gpa, moved);
  const WalkResult res = w.run(0x7010, Access::Read);
  REQUIRE(res.ok);
  CHECK(res.gpa == 0x346010);
}

TEST_CASE("large guest pages and large EPT pages: the combined page is the smaller") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  w.gt.map_large(0x40000000, 0x600000, 2);  // a guest 2 MiB page at guest-physical 6 MiB
  // EPT maps guest RAM in 2 MiB pages: combined 2 MiB.
  WalkResult a = w.run(0x40012345, Access::Write);
  REQUIRE(a.ok);
  CHECK(a.pa == kGuestBase + 0x612345);
  CHECK(a.translation.page_shift == 21);
  CHECK(a.translation.guest_shift == 0);
  // EPT maps that 2 MiB in 4 KiB pages: combined 4 KiB, guest page 2 MiB.
  r.ept.map(0x612000, 0x2777000);
  WalkResult b = w.run(0x40012345, Access::Write);
  REQUIRE(b.ok);
  CHECK(b.pa == 0x2777345);
  CHECK(b.translation.page_shift == 12);
  CHECK(b.translation.guest_shift == 21);
  CHECK(b.translation.guest_page_shift() == 21);
  CHECK(b.translation.frame == 0x2777000);
}

TEST_CASE("an EPT violation reading a guest table entry names the entry's guest-physical address") {
  for (PagingMode mode : kModes) {
    CAPTURE(std::string(name(mode)));
    Rig r;
    Walk w(r, mode);
    const u64 lin = 0x00403123;
    w.gt.map4k(0x00403000, 0x345000);
    // Each table the walk reads from memory in turn, made execute-only.
    const int top = w.gt.top();
    for (int level = top; level >= 1; --level) {
      if (mode == PagingMode::Pae && level == 3) continue;  // a register: no memory access
      CAPTURE(level);
      const u64 entry_gpa = w.gt.entry(lin, level);
      r.ept.map(entry_gpa & ~u64(0xfff), kGuestBase + (entry_gpa & ~u64(0xfff)), X | WB);
      const WalkResult res = w.run(lin, Access::Read);
      REQUIRE(!res.ok);
      CHECK(res.pf_error == 0);
      REQUIRE(res.ept_fault.kind == EptFaultKind::Violation);
      CHECK(res.ept_fault.gpa == entry_gpa);
      CHECK(res.ept_fault.gla == lin);
      // A data read; the page is execute-only; the linear address is
      // valid, and this is an access to a paging-structure entry (bit 8 0).
      CHECK(res.ept_fault.qualification == (ept_qual::kRead | X << 3 | ept_qual::kLinearValid));
      r.ept.map(entry_gpa & ~u64(0xfff), kGuestBase + (entry_gpa & ~u64(0xfff)), RWX | WB);
    }
    REQUIRE(w.run(lin, Access::Read).ok);
  }
}

TEST_CASE("guest paging-structure accesses: reads, A/D updates as writes, and all of them writes with EPT A/D") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  const u64 lin = 0x7123;
  w.gt.map4k(0x7000, 0x345000);
  const u64 pte_gpa = w.gt.entry(lin, 1);
  const u64 pt_page = pte_gpa & ~u64(0xfff);
  r.ept.map(pt_page, kGuestBase + pt_page, R | X | WB);  // the guest's page table is read-only in EPT

  SUBCASE("without EPT A/D the A-flag update of the PTE is a data write") {
    const WalkResult res = w.run(lin, Access::Read);
    REQUIRE(res.ept_fault.kind == EptFaultKind::Violation);
    CHECK(res.ept_fault.gpa == pte_gpa);
    CHECK(res.ept_fault.qualification == (ept_qual::kWrite | (R | X) << 3 | ept_qual::kLinearValid));
    // The entries above were updated before it, as a processor does.
    CHECK((w.gt.get(lin, 2) & GA) == GA);
    CHECK((w.gt.get(lin, 1) & GA) == 0);
    // With the flags already set the walk only reads: no violation.
    w.gt.set(lin, 1, w.gt.get(lin, 1) | GA);
    CHECK(w.run(lin, Access::Read).ok);
    // A write needs D in the PTE: a write to the table again.
    const WalkResult wr = w.run(lin, Access::Write);
    REQUIRE(wr.ept_fault.kind == EptFaultKind::Violation);
    CHECK(wr.ept_fault.gpa == pte_gpa);
  }
  SUBCASE("with EPT A/D every guest paging-structure access is a write (bits 0 and 1)") {
    w.gt.set(lin, 1, w.gt.get(lin, 1) | GA | GD);
    const WalkResult res = w.run(lin, Access::Read, true);
    REQUIRE(res.ept_fault.kind == EptFaultKind::Violation);
    CHECK(res.ept_fault.gpa == pte_gpa);
    CHECK(res.ept_fault.qualification == (ept_qual::kRead | ept_qual::kWrite | (R | X) << 3 | ept_qual::kLinearValid));
  }
}

TEST_CASE("with EPT A/D, the guest's table pages become dirty in EPT and are logged") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  const u64 lin = 0x7123;
  w.gt.map4k(0x7000, 0x345000);
  // EPT maps the guest tables and the data page in 4 KiB pages, flags clear.
  for (u64 p = 0x100000; p < w.gt.next; p += 0x1000) r.ept.map(p, kGuestBase + p);
  r.ept.map(0x345000, kGuestBase + 0x345000);
  SecondLevel sl = r.second_level(true);
  sl.pml = true;
  sl.pml_address = 0x3000000;
  sl.pml_index = 511;
  REQUIRE(w.run_with(sl, lin, Access::Read).ok);
  std::vector<u64> logged;
  for (unsigned i = sl.pml_index + 1u; i <= 511; ++i) logged.push_back(r.mem.read(0x3000000 + 8 * i, 8));
  // The four table pages, top first; not the data page (it was read).
  const std::vector<u64> tables = {w.gt.root, 0x101000, 0x102000, 0x103000};
  REQUIRE(logged.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(logged[3 - i] == tables[i]);
  for (u64 t : tables) CHECK((r.ept.get(t, 1) & (EA | ED)) == (EA | ED));
  CHECK((r.ept.get(0x345000, 1) & (EA | ED)) == EA);
}

TEST_CASE("a violation on the final address: bit 8 and the linear address's U/S, R/W and XD") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  w.gt.map4k(0x7000, 0x345000, P | U | XD);  // user, read-only, execute-disable
  r.ept.map(0x345000, kGuestBase + 0x345000, X | WB);
  const WalkResult res = w.run(0x7abc, Access::Read, false, nullptr, true);
  REQUIRE(res.ept_fault.kind == EptFaultKind::Violation);
  CHECK(res.ept_fault.gpa == 0x345abc);
  CHECK(res.ept_fault.gla == 0x7abc);
  CHECK(res.ept_fault.qualification == (ept_qual::kRead | X << 3 | ept_qual::kLinearValid | ept_qual::kTranslated |
                                        ept_qual::kUserLinear | ept_qual::kNxLinear));
  // The guest's A flags were set before the final access was refused.
  CHECK((w.gt.get(0x7000, 1) & GA) == GA);
}

TEST_CASE("a guest page fault comes before any EPT check of the final address") {
  Rig r;
  Walk w(r, PagingMode::Level4);
  w.gt.map4k(0x7000, 0x345000, P | U);            // read-only
  r.ept.map(0x345000, kGuestBase + 0x345000, 0);  // not present in EPT either
  const WalkResult res = w.run(0x7000, Access::Write);
  CHECK(!res.ok);
  CHECK(res.ept_fault.kind == EptFaultKind::None);
  CHECK(res.pf_error == (pf::kPresent | pf::kWrite));
  // Not present in the guest: #PF, whatever EPT says of the page.
  w.gt.set(0x8000, 1, 0);
  const WalkResult np = w.run(0x8000, Access::Read);
  CHECK(np.pf_error == 0);
  CHECK(np.ept_fault.kind == EptFaultKind::None);
  CHECK(!np.ok);
}

TEST_CASE("paging off (unrestricted guest): the linear address is the guest-physical one") {
  Rig r;
  SecondLevel sl = r.second_level();
  EptContext ctx{r.mem, sl, nullptr, true};
  WalkRequest req;
  req.mode = PagingMode::None;
  req.linear = 0xb8010;
  req.access = Access::Write;
  req.ept = &ctx;
  std::vector<WalkStep> trace;
  WalkResult res = walk_page_tables(r.mem, req, &trace);
  REQUIRE(res.ok);
  CHECK(res.pa == kGuestBase + 0xb8010);
  CHECK(trace.size() == 3);  // EPT only, ending in a 2 MiB page
  CHECK(trace.back().entry == (kGuestBase | RWX | WB | LARGE));
  // A violation: every linear address is a user-mode, writable,
  // executable address when CR0.PG = 0.
  r.ept.map(0xb8000, kGuestBase + 0xb8000, R | WB);
  res = walk_page_tables(r.mem, req);
  REQUIRE(res.ept_fault.kind == EptFaultKind::Violation);
  CHECK(res.ept_fault.qualification == (ept_qual::kWrite | R << 3 | ept_qual::kLinearValid | ept_qual::kTranslated |
                                        ept_qual::kUserLinear | ept_qual::kWritableLinear));
}

}  // namespace
}  // namespace ept_test

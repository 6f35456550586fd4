// Memory types of the accesses a walk records (mmu/memory_type.h): the
// MTRRs (SDM Vol. 3A §11.11.4.1), Table 11-7, the PAT entry each access
// selects (§4.9.2: CR3 or the entry that points to a table, PAT/PCD/PWT of
// the entry that maps a page), and with EPT (Vol. 3C §28.2.7) the EPTP's
// type for EPT's own tables and the EPT leaf's type and ignore-PAT in place
// of the MTRRs for guest-physical accesses. vtlab has no caches: the types
// are what the debugger's walk shows, so these tests read them from
// Cpu::translate and walk_page_tables.
#include <string>
#include <vector>

#include "cpu/msr_table.h"
#include "mmu/memory_type.h"
#include "tests/ept/ept_rig.h"
#include "tests/support/cpu_rig.h"

namespace ept_test {
namespace {

using namespace memtype;

// Guest paging bits that select PAT entries.
constexpr u64 PWT = 0x8, PCD = 0x10, PAT4K = 0x80, PATL = 0x1000;
// A PAT whose entries all differ where it matters: 0 WB, 1 WT, 2 UC-, 3 UC,
// 4 WC, 5 WP, 6 WB, 7 UC.
constexpr u64 kPat = 0x0006050100070406ull;
// The same with entry 0 UC.
constexpr u64 kPatUc0 = (kPat & ~u64(0xff)) | kUC;
constexpr u64 ept_type(u8 t) { return u64(t) << 3; }

TEST_CASE("MTRRs: off, fixed ranges, variable ranges, their overlaps and the default type (SDM §11.11.4.1)") {
  u64 var[16] = {}, fixed[11] = {};
  MemTypeRegs m;
  m.mtrr_var = var;
  m.mtrr_fixed = fixed;
  m.mtrr_def_type = kWB;  // E = 0
  CHECK(mtrr_type(m, 0x1000) == kUC);
  CHECK(mtrr_type(m, 0x100000000ull) == kUC);

  for (u64& f : fixed) f = 0x0606060606060606ull;
  fixed[0] = 0x0000000000000406ull;   // 64 KiB ranges: WB, WT, then UC
  fixed[2] = 0x0000000000000001ull;   // A0000H: WC, A4000H: UC
  fixed[4] = 0x0000000000050000ull;   // C8000H + 2 x 4 KiB: WP
  fixed[10] = 0x0600000000000000ull;  // FF000H: WB, F8000H: UC
  m.mtrr_def_type = 0xc00 | kWP;      // E, FE, default WP
  CHECK(mtrr_type(m, 0x0) == kWB);
  CHECK(mtrr_type(m, 0x10000) == kWT);
  CHECK(mtrr_type(m, 0x7ffff) == kUC);
  CHECK(mtrr_type(m, 0x80000) == kWB);
  CHECK(mtrr_type(m, 0xa0000) == kWC);
  CHECK(mtrr_type(m, 0xa4000) == kUC);
  CHECK(mtrr_type(m, 0xca000) == kWP);
  CHECK(mtrr_type(m, 0xc9fff) == kUC);
  CHECK(mtrr_type(m, 0xff000) == kWB);
  CHECK(mtrr_type(m, 0xf8000) == kUC);
  CHECK(mtrr_type(m, 0x100000) == kWP);  // above 1 MiB, no variable range: the default

  const u64 valid = 0x800, mask46 = (u64(1) << 46) - 1;
  auto range = [&](unsigned i, u64 base, u64 size, u8 type, bool on = true) {
    var[2 * i] = base | type;
    var[2 * i + 1] = (~(size - 1) & mask46 & ~u64(0xfff)) | (on ? valid : 0);
  };
  range(0, 0, 4ull << 30, kWB);                // 0 .. 4 GiB WB
  range(1, 0x80000000, 2ull << 30, kUC);       // 2 .. 4 GiB UC as well
  range(2, 0x40000000, 1ull << 30, kWT);       // 1 .. 2 GiB WT as well
  range(3, 0x20000000, 256ull << 20, kUC, 0);  // not valid
  range(4, 0x180000000, 1ull << 30, kWC);      // 6 .. 7 GiB WC and WP
  range(5, 0x180000000, 1ull << 30, kWP);
  CHECK(mtrr_type(m, 0x10000000) == kWB);
  CHECK(mtrr_type(m, 0x20000000) == kWB);      // the invalid range is not used
  CHECK(mtrr_type(m, 0x40000000) == kWT);      // WT over WB: WT
  CHECK(mtrr_type(m, 0x80000000) == kUC);      // UC over WB: UC
  CHECK(mtrr_type(m, 0x100000000ull) == kWP);  // beyond every range: the default
  CHECK(mtrr_type(m, 0x180000000ull) == kUC);  // undefined in the SDM; vtlab: UC
  CHECK(mtrr_type(m, 0x10000) == kWT);         // below 1 MiB the fixed ranges win
  m.mtrr_def_type = 0x800 | kWP;               // fixed ranges off: the variable ones
  CHECK(mtrr_type(m, 0x10000) == kWB);
}

TEST_CASE("Table 11-7: a range type (MTRR or EPT) with a PAT type") {
  struct Row {
    u8 range, pat, effective;
  };
  const Row rows[] = {
      {kUC, kWC, kWC},      {kUC, kWB, kUC}, {kUC, kUCMinus, kUC}, {kWC, kUCMinus, kWC}, {kWC, kWB, kWC},
      {kWC, kWT, kUC},      {kWC, kWP, kUC}, {kWT, kWB, kWT},      {kWT, kWP, kWP},      {kWT, kUCMinus, kUC},
      {kWP, kUCMinus, kWC}, {kWP, kWT, kWT}, {kWP, kWB, kWP},      {kWB, kUC, kUC},      {kWB, kUCMinus, kUC},
      {kWB, kWC, kWC},      {kWB, kWT, kWT}, {kWB, kWP, kWP},      {kWB, kWB, kWB},
  };
  for (const Row& r : rows) {
    CAPTURE(memtype_name(r.range));
    CAPTURE(memtype_name(r.pat));
    CHECK(memtype_name(combine_with_pat(r.range, r.pat)) == std::string(memtype_name(r.effective)));
  }
  // PAT type WB leaves every range type as it is (paging off: the MTRRs alone).
  for (u8 t : {kUC, kWC, kWT, kWP, kWB}) CHECK(combine_with_pat(t, kWB) == t);
}

// ------------------------------------------------------------ without EPT

// 64-bit paging at CPL 0 with the MTRRs as a BIOS sets them (write-back,
// the fixed ranges write-back but for 80000H-83FFFH, which is UC) and kPat.
struct RootRig : testing::LongModeRig {
  static constexpr u64 kPdpt = kPml4 + 0x1000, kPd = kPml4 + 0x2000;
  RootRig() {
    REQUIRE(cpu.write_msr(msr_index::kPat, kPat));
    for (u32 i = msr_index::kMtrrFix4kC0000; i <= msr_index::kMtrrFix4kF8000; ++i)
      REQUIRE(cpu.write_msr(i, 0x0606060606060606ull));
    REQUIRE(cpu.write_msr(msr_index::kMtrrFix64k, 0x0606060606060606ull));
    REQUIRE(cpu.write_msr(msr_index::kMtrrFix16k80000, 0x0606060606060600ull));
    REQUIRE(cpu.write_msr(msr_index::kMtrrFix16kA0000, 0x0606060606060606ull));
    REQUIRE(cpu.write_msr(msr_index::kMtrrDefType, 0xc00 | kWB));
  }
  // The walk of a read of `lin`, its steps, and the access's typing.
  std::vector<WalkStep> steps;
  MemoryTyping walk(u64 lin) {
    steps.clear();
    MemoryTyping t;
    u32 pf = 0;
    REQUIRE(cpu.translate(lin, Access::Read, false, &steps, &pf, nullptr, &t) != ~u64(0));
    return t;
  }
};

TEST_CASE("without EPT: each table read takes the PAT entry CR3 or the entry above selects, with the MTRRs' type") {
  RootRig r;
  r.cpu.cr3 = RootRig::kPml4 | PWT;                               // the PML4 read: PAT 1 (WT)
  r.put64(RootRig::kPml4, r.get(RootRig::kPml4, 8) | PCD);        // the PDPT read: PAT 2 (UC-)
  r.put64(RootRig::kPdpt, r.get(RootRig::kPdpt, 8) | PCD | PWT);  // the PD read: PAT 3 (UC)
  r.put64(RootRig::kPt + 5 * 8, 0x5000 | 7 | PAT4K);              // the page: PAT 4 (WC)
  const MemoryTyping t = r.walk(0x5000);
  REQUIRE(r.steps.size() == 4);
  CHECK(r.steps[0].memtype == kWT);
  CHECK(r.steps[1].memtype == kUC);  // WB with UC-
  CHECK(r.steps[2].memtype == kUC);
  CHECK(r.steps[3].memtype == kWB);  // the PD entry has neither PCD nor PWT: PAT 0
  CHECK(t.type == kWC);
  CHECK(t.range == kWB);
  CHECK(t.pat == kWC);
  CHECK(!t.ept);

  // With CR4.PCIDE, CR3 bits 4:3 are PCID bits: PAT 0 for the PML4 read.
  r.cpu.cr4 |= cr4::PCIDE;
  r.walk(0x5000);
  CHECK(r.steps[0].memtype == kWB);
}

TEST_CASE("without EPT: the MTRRs' type of the page meets the PAT entry its PTE or PDE selects") {
  RootRig r;
  CHECK(r.walk(0x80000).type == kUC);  // MTRR UC, PAT 0 WB
  r.put64(RootRig::kPt + 0x80 * 8, 0x80000 | 7 | PAT4K);
  r.cpu.invalidate_page(0x80000);
  const MemoryTyping t = r.walk(0x80000);  // MTRR UC, PAT 4 WC: WC
  CHECK(t.type == kWC);
  CHECK(t.range == kUC);
  // A 2 MiB page: PAT is bit 12 of the PDE (PAT 5, WP); bit 7 is PS there
  // (PAT 1, WT, without bit 12).
  r.put64(RootRig::kPd + 8, 0x200000 | 7 | 0x80 | PATL | PWT);
  CHECK(r.walk(0x212345).type == kWP);
  r.put64(RootRig::kPd + 8, 0x200000 | 7 | 0x80 | PWT);
  CHECK(r.walk(0x212345).type == kWT);
  r.put64(RootRig::kPd + 8, 0x200000 | 7 | 0x80 | PATL | PWT);
  // MTRRs off: everything is UC.
  REQUIRE(r.cpu.write_msr(msr_index::kMtrrDefType, kWB));
  CHECK(r.walk(0x212345).type == kUC);
}

TEST_CASE("without EPT: CR0.CD = 1 makes every access UC; paging off leaves the MTRRs' type") {
  RootRig r;
  r.cpu.cr0 |= cr0::CD;
  const MemoryTyping t = r.walk(0x5000);
  CHECK(t.type == kUC);
  CHECK(t.cd);
  for (const WalkStep& s : r.steps) CHECK(s.memtype == kUC);
  r.cpu.cr0 &= ~u64(cr0::CD);

  testing::CpuRig flat;  // real mode: no paging, the MTRRs alone
  REQUIRE(flat.cpu.write_msr(msr_index::kMtrrFix16k80000, 0x0000000000000004ull));
  REQUIRE(flat.cpu.write_msr(msr_index::kMtrrDefType, 0xc00 | kWB));
  MemoryTyping p;
  flat.cpu.translate(0x80010, Access::Read, false, nullptr, nullptr, nullptr, &p);
  CHECK(p.type == kUC);  // CR0.CD = 1 at power-on (SDM Vol. 3A Table 9-1)
  flat.cpu.cr0 &= ~u64(cr0::CD | cr0::NW);
  CHECK(flat.cpu.translate(0x80010, Access::Read, false, nullptr, nullptr, nullptr, &p) == 0x80010);
  CHECK(p.type == kWT);
  CHECK(p.pat == kWB);
  CHECK(flat.cpu.translate(0x200000, Access::Read, false, nullptr, nullptr, nullptr, &p) == 0x200000);
  CHECK(p.type == kWB);
}

// -------------------------------------------------------------- with EPT

// LongGuest's first 2 MiB, where its code and page tables live, are one
// write-back EPT page; the page read here is put elsewhere.
struct TypedGuest : LongGuest {
  static constexpr u64 kLin = 0x3000, kGpa = 0x600000;  // a 2 MiB EPT page of its own
  TypedGuest() {
    gt.map4k(kLin, kGpa);
    cpu.msr.pat = kPat;
  }
  std::vector<WalkStep> steps;
  MemoryTyping walk(u64 lin = kLin) {
    steps.clear();
    MemoryTyping t;
    u32 pf = 0;
    EptFault ef;
    REQUIRE(cpu.translate(lin, Access::Read, false, &steps, &pf, &ef, &t) != ~u64(0));
    return t;
  }
  // The types of the guest's own table reads, root first.
  std::vector<u8> guest_steps() const {
    std::vector<u8> v;
    for (const WalkStep& s : steps)
      if (!s.ept) v.push_back(s.memtype);
    return v;
  }
};

TEST_CASE("EPT write-back with guest PAT UC gives UC; ignore-PAT gives the EPT type; the MTRRs play no part") {
  TypedGuest g;
  MemoryTyping t = g.walk();
  CHECK(t.type == kWB);  // EPT WB, PAT 0 WB
  CHECK(t.ept);
  g.cpu.msr.pat = kPatUc0;
  t = g.walk();
  CHECK(t.type == kUC);
  CHECK(t.range == kWB);
  CHECK(t.pat == kUC);
  CHECK(!t.ipat);

  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | WB | IPAT, 21);
  t = g.walk();
  CHECK(t.type == kWB);
  CHECK(t.ipat);
  CHECK(t.pat == kUC);  // selected, and ignored

  // EPT WT with PAT WC (PTE PAT bit: entry 4): Table 11-7 with EPT's type
  // in the MTRRs' place gives WC; with ignore-PAT, WT.
  g.gt.map4k(TypedGuest::kLin, TypedGuest::kGpa, P | GW | U | PAT4K);
  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | ept_type(kWT), 21);
  CHECK(g.walk().type == kWC);
  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | ept_type(kWT) | IPAT, 21);
  CHECK(g.walk().type == kWT);

  // The MTRRs (all UC here) do not apply to guest-physical accesses.
  REQUIRE(g.cpu.write_msr(msr_index::kMtrrDefType, 0x800 | kUC));
  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | WB, 21);
  g.gt.map4k(TypedGuest::kLin, TypedGuest::kGpa);
  g.cpu.msr.pat = kPat;
  CHECK(g.walk().type == kWB);
}

TEST_CASE("EPT: the guest's table reads combine their PAT entry with the EPT type of the page they are in") {
  TypedGuest g;
  g.walk();
  REQUIRE(g.steps.size() == 19);  // 4 x (3 EPT + 1 guest) + 3 EPT: EPT maps 2 MiB pages
  CHECK(g.guest_steps() == std::vector<u8>{kWB, kWB, kWB, kWB});

  // CR3.PWT and the entries' PCD/PWT select PAT 1, 2, 3 for the reads
  // below them (WT, UC-, UC); the PML4 read uses CR3's.
  g.cpu.cr3 = g.gt.root | PWT;
  g.gt.set(TypedGuest::kLin, 4, g.gt.get(TypedGuest::kLin, 4) | PCD);
  g.gt.set(TypedGuest::kLin, 3, g.gt.get(TypedGuest::kLin, 3) | PCD | PWT);
  g.walk();
  CHECK(g.guest_steps() == std::vector<u8>{kWT, kUC, kUC, kWB});

  // The tables' EPT page WT: WT with WB, UC- and UC give WT, UC, UC.
  g.ept.map(0, Rig::hpa(0), RWX | ept_type(kWT), 21);
  g.walk();
  CHECK(g.guest_steps() == std::vector<u8>{kWT, kUC, kUC, kWT});
  // Ignore-PAT on it: the EPT type for every table read.
  g.ept.map(0, Rig::hpa(0), RWX | ept_type(kWT) | IPAT, 21);
  g.walk();
  CHECK(g.guest_steps() == std::vector<u8>{kWT, kWT, kWT, kWT});
}

TEST_CASE("EPT: EPT's own table reads take the EPTP's memory type; CR0.CD = 1 makes everything UC") {
  TypedGuest g;
  g.walk();
  unsigned ept_steps = 0;
  for (const WalkStep& s : g.steps) {
    if (!s.ept) continue;
    ++ept_steps;
    CHECK(s.memtype == kWB);  // EPTP bits 2:0 = 6
  }
  CHECK(ept_steps == 15);

  SecondLevel s = g.second_level();
  s.eptp &= ~u64(7);  // EPTP memory type UC
  g.cpu.set_second_level(s);
  g.walk();
  for (const WalkStep& st : g.steps)
    if (st.ept) CHECK(st.memtype == kUC);
  CHECK(g.walk().type == kWB);  // the EPTP's type is for EPT's tables only

  g.cpu.set_second_level(g.second_level());
  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | WB | IPAT, 21);
  g.cpu.cr0 |= cr0::CD;
  const MemoryTyping t = g.walk();
  CHECK(t.type == kUC);  // even with ignore-PAT
  CHECK(t.cd);
  for (const WalkStep& st : g.steps) CHECK(st.memtype == kUC);
}

TEST_CASE("EPT: the type comes from the leaf that maps the page: 4 KiB, 2 MiB, 1 GiB") {
  TypedGuest g;
  // 4 KiB EPT page (splits the 2 MiB one).
  g.ept.map(TypedGuest::kGpa, Rig::hpa(TypedGuest::kGpa), RWX | ept_type(kWP));
  g.ept.map(TypedGuest::kGpa + 0x1000, Rig::hpa(TypedGuest::kGpa + 0x1000), RWX | ept_type(kWC));
  CHECK(g.walk().type == kWP);
  g.gt.map4k(0x4000, TypedGuest::kGpa + 0x1000);
  CHECK(g.walk(0x4000).type == kWC);
  CHECK(g.walk(0x4000).range == kWC);

  // 2 MiB EPT page of type WC.
  g.ept.map(0x800000, Rig::hpa(0x800000), RWX | ept_type(kWC), 21);
  g.gt.map4k(0x5000, 0x800000);
  CHECK(g.walk(0x5000).type == kWC);

  // 1 GiB EPT page (guest-physical 1 GiB at host-physical 0) of type WT;
  // the guest's PTE selects PAT 3 (UC): UC; PAT 4 (WC): WC.
  g.ept.map(0x40000000, 0, RWX | ept_type(kWT), 30);
  g.gt.map4k(0x6000, 0x40005000, P | GW | U | PCD | PWT);
  MemoryTyping t = g.walk(0x6000);
  CHECK(t.type == kUC);
  CHECK(t.range == kWT);
  g.gt.map4k(0x6000, 0x40005000, P | GW | U | PAT4K);
  t = g.walk(0x6000);
  CHECK(t.type == kWC);
  g.gt.map4k(0x6000, 0x40005000);
  CHECK(g.walk(0x6000).type == kWT);

  // A guest 2 MiB page: PAT bit 12 and PWT select PAT 5 (WP); EPT WB.
  g.gt.map_large(0xa00000, 0xa00000, 2, P | GW | U | PATL | PWT);
  CHECK(g.walk(0xa12345).type == kWP);
  g.gt.map_large(0xa00000, 0xa00000, 2, P | GW | U | PWT);  // bit 7 is PS, not PAT: PAT 1 (WT)
  CHECK(g.walk(0xa12345).type == kWT);
}

TEST_CASE("EPT with guest paging off, PAE's PDPTE registers, and a guest-physical look") {
  Rig r;
  MemTypeRegs types;
  types.pat = kPatUc0;
  SecondLevel sl = r.second_level();
  r.ept.map(0x40000000, 0, RWX | ept_type(kWP), 30);
  r.ept.map(0x600000, Rig::hpa(0x600000), RWX | ept_type(kWT), 21);

  // CR0.PG = 0: the PAT type is WB (§28.2.7.2), so the EPT type stands.
  {
    EptContext ctx{r.mem, sl, nullptr, false, &types};
    WalkRequest req;
    req.mode = PagingMode::None;
    req.linear = 0x40001234;
    req.ept = &ctx;
    req.set_ad = false;
    req.memtypes = &types;
    std::vector<WalkStep> trace;
    const WalkResult w = walk_page_tables(r.mem, req, &trace);
    REQUIRE(w.ok);
    CHECK(w.pa == 0x1234);
    CHECK(w.typing.type == kWP);
    CHECK(w.typing.pat == kWB);
    REQUIRE(trace.size() == 2);  // PML4E, then the 1 GiB PDPTE
    CHECK(trace[1].memtype == kWB);
  }

  // PAE: the PDPTE comes from a register (no access, no type); the PD read
  // takes the PAT entry the PDPTE's PCD/PWT select (3: UC).
  {
    GuestTables gt(r.mem, PagingMode::Pae, 0x100000);
    gt.map4k(0x3000, 0x600000);
    gt.set(0x3000, 3, gt.get(0x3000, 3) | PCD | PWT);
    u64 pdptes[4];
    gt.pdptes(pdptes);
    types.pat = kPat;
    EptContext ctx{r.mem, sl, nullptr, false, &types};
    WalkRequest req;
    req.mode = PagingMode::Pae;
    req.cr3 = gt.root;
    req.linear = 0x3000;
    req.pdpte = pdptes;
    req.ept = &ctx;
    req.set_ad = false;
    req.memtypes = &types;
    std::vector<WalkStep> trace;
    const WalkResult w = walk_page_tables(r.mem, req, &trace);
    REQUIRE(w.ok);
    std::vector<u8> guest;
    for (const WalkStep& s : trace)
      if (!s.ept) guest.push_back(s.memtype);
    CHECK(guest == std::vector<u8>{kNone, kUC, kWB});
    CHECK(w.typing.type == kWT);  // EPT WT, PAT 0 WB
  }

  // The debugger's look at a guest-physical address: the EPT leaf's type.
  LongGuest g;
  g.ept.map(0x600000, Rig::hpa(0x600000), RWX | ept_type(kWC), 21);
  MemoryTyping t;
  std::vector<WalkStep> trace;
  CHECK(g.cpu.translate_guest_physical(0x600010, Access::Read, &trace, nullptr, &t) == Rig::hpa(0x600010));
  CHECK(t.type == kWC);
  REQUIRE(trace.size() == 3);
  for (const WalkStep& s : trace) CHECK(s.memtype == kWB);
}

}  // namespace
}  // namespace ept_test

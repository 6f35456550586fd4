// The EPT entry format on its own (SDM Vol. 3C §28.2.2, §28.2.3): page
// sizes, walk lengths, every permission combination at every level,
// execute-only, mode-based execute control, misconfigurations, memory types
// and the violation's exit qualification (Table 27-7, bits 0-6).
#include <vector>

#include "tests/ept/ept_rig.h"

namespace ept_test {
namespace {

using ept_bits::kNeedR, ept_bits::kNeedW, ept_bits::kNeedX, ept_bits::kNeedUserX;

EptResult translate(Rig& r, u64 gpa, u8 need, std::vector<WalkStep>* trace = nullptr) {
  EptContext ctx = r.context();
  return ept_translate(ctx, gpa, need, trace);
}

TEST_CASE("EPT maps 4 KiB, 2 MiB and 1 GiB pages") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  r.ept.map(0x600000, 0x2600000, RWX | WB, 21);
  r.ept.map(0x40000000, 0x80000000, RWX | WB, 30);
  EptResult a = translate(r, 0x345abc, kNeedR);
  REQUIRE(a.fault == EptFaultKind::None);
  CHECK(a.t.hpa(0x345abc) == 0x2077abc);
  CHECK(a.t.page_shift == 12);
  EptResult b = translate(r, 0x7fedcb, kNeedW);
  REQUIRE(b.fault == EptFaultKind::None);
  CHECK(b.t.hpa(0x7fedcb) == 0x27fedcb);
  CHECK(b.t.page_shift == 21);
  EptResult c = translate(r, 0x7ffffff8, kNeedX);
  REQUIRE(c.fault == EptFaultKind::None);
  CHECK(c.t.hpa(0x7ffffff8) == 0xbffffff8);
  CHECK(c.t.page_shift == 30);
  // The default 2 MiB mapping of guest RAM.
  EptResult d = translate(r, 0x123456, kNeedR);
  CHECK(d.t.hpa(0x123456) == kGuestBase + 0x123456);
}

TEST_CASE("every permission combination at every level") {
  // For a page mapped at level `leaf` (4 KiB, 2 MiB, 1 GiB), bits 2:0 of
  // the entry at each level of its path take every value while the others
  // allow everything: R, W and fetch succeed exactly where the value allows
  // them; 010b and 110b are misconfigurations; 000b is not present. The
  // qualification's bits 5:3 are the AND of bits 2:0 of the path (§28.2.3.2,
  // Table 27-7).
  const u64 gpa = 0x40000000 + 0x12345;
  for (int leaf = 1; leaf <= 3; ++leaf) {
    for (int level = leaf; level <= 4; ++level) {
      for (u64 rights = 0; rights < 8; ++rights) {
        CAPTURE(leaf);
        CAPTURE(level);
        CAPTURE(rights);
        Rig r;
        r.ept.map(gpa, 0x80000000 & ~((u64(1) << (12 + 9 * (leaf - 1))) - 1), RWX | WB, 12 + 9 * unsigned(leaf - 1));
        r.ept.rights(gpa, level, rights);
        for (u8 need : {kNeedR, kNeedW, kNeedX}) {
          CAPTURE(int(need));
          const EptResult res = translate(r, gpa, need);
          if (rights == 0) {
            REQUIRE(res.fault == EptFaultKind::Violation);
            CHECK(res.path_rights == 0);
          } else if ((rights & 3) == 2) {
            CHECK(res.fault == EptFaultKind::Misconfig);
          } else if (rights & need) {
            CHECK(res.fault == EptFaultKind::None);
          } else {
            REQUIRE(res.fault == EptFaultKind::Violation);
            CHECK((res.path_rights & 7) == rights);
            const EptFault f = ept_fault_record(r.sl, res, gpa, need, LinearInfo{});
            CHECK(f.qualification == (u64(need) | rights << 3));
            CHECK(f.gpa == gpa);
          }
        }
      }
    }
  }
}

TEST_CASE("the exit qualification names the access and the path's rights") {
  Rig r;
  r.ept.map(0x345000, 0x2077000, R | WB);
  r.ept.rights(0x345000, 3, RX);
  const EptResult res = translate(r, 0x345010, kNeedW);
  REQUIRE(res.fault == EptFaultKind::Violation);
  // Written, readable (R in every entry), not writable, not executable
  // (the PTE has no X).
  LinearInfo lin{true, true, 0x7000345010, false, true, false};
  const EptFault f = ept_fault_record(r.sl, res, 0x345010, kNeedW, lin);
  CHECK(f.kind == EptFaultKind::Violation);
  CHECK(f.exit_reason() == 48);
  CHECK(f.qualification ==
        (ept_qual::kWrite | 1 << 3 | ept_qual::kLinearValid | ept_qual::kTranslated | ept_qual::kWritableLinear));
  CHECK(f.gla == 0x7000345010);
  CHECK(f.gpa == 0x345010);
  // A not-present entry: bits 5:3 are 0 whatever the entries above allow.
  r.ept.set(0x346000, 1, 0);
  const EptResult np = translate(r, 0x346000, kNeedX);
  const EptFault g = ept_fault_record(r.sl, np, 0x346000, kNeedX, LinearInfo{});
  CHECK(g.qualification == ept_qual::kFetch);
  CHECK(g.gla == 0);
}

TEST_CASE("5-level EPT walks five tables; the walk length comes from EPTP") {
  Rig r(5);
  r.ept.map(0x345000, 0x2077000);
  std::vector<WalkStep> trace;
  EptResult res = translate(r, 0x345008, kNeedR, &trace);
  REQUIRE(res.fault == EptFaultKind::None);
  CHECK(res.t.hpa(0x345008) == 0x2077008);
  REQUIRE(trace.size() == 5);
  CHECK(trace[0].level == 5);
  CHECK(trace[0].entry_pa == r.ept.root);
  for (const WalkStep& s : trace) CHECK((s.ept && s.gpa == 0x345008));
  // PS is reserved in a PML5E as in a PML4E.
  r.ept.set(0x345000, 5, r.ept.get(0x345000, 5) | LARGE);
  CHECK(translate(r, 0x345008, kNeedR).fault == EptFaultKind::Misconfig);
}

TEST_CASE("4-level EPT walks four tables") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  std::vector<WalkStep> trace;
  REQUIRE(translate(r, 0x345008, kNeedR, &trace).fault == EptFaultKind::None);
  REQUIRE(trace.size() == 4);
  CHECK(trace[0].level == 4);
  CHECK(trace[3].level == 1);
  CHECK(trace[3].entry == (0x2077000 | RWX | WB));
}

TEST_CASE("EPT misconfigurations (SDM Vol. 3C 28.2.3.1)") {
  struct Case {
    const char* what;
    int level;
    u64 set_bits;  // ORed into the entry
    u64 clear_bits;
    bool misconfig;
  };
  const u64 gpa = 0x345000;
  const Case cases[] = {
      {"bit 51 (above MAXPHYADDR) in a PML4E", 4, u64(1) << 51, 0, true},
      {"bit 46 in a PDPTE", 3, u64(1) << 46, 0, true},
      {"bit 47 in a PDE", 2, u64(1) << 47, 0, true},
      {"bit 50 in a PTE", 1, u64(1) << 50, 0, true},
      {"bit 3 in a PML4E", 4, 1 << 3, 0, true},
      {"PS in a PML4E", 4, LARGE, 0, true},
      {"bit 6 in a PDPTE that references a table", 3, 1 << 6, 0, true},
      {"memory-type bits in a PDE that references a table", 2, WB, 0, true},
      {"memory type 2 in a PTE", 1, 2 << 3, WB, true},
      {"memory type 3 in a PTE", 1, 3 << 3, WB, true},
      {"memory type 7 in a PTE", 1, 7 << 3, WB, true},
      {"memory type 0 (UC) in a PTE", 1, 0, WB, false},
      {"memory type 1 (WC) in a PTE", 1, 1 << 3, WB, false},
      {"memory type 4 (WT) in a PTE", 1, 4 << 3, WB, false},
      {"memory type 5 (WP) in a PTE", 1, 5 << 3, WB, false},
      {"ignored bits 11 and 52-62 in a PTE", 1, 0x800 | (u64(0x7ff) << 52), 0, false},
      {"ignored bit 7 in a PTE", 1, LARGE, 0, false},
      {"bit 63 (suppress #VE) in a PDE", 2, SVE, 0, false},
      {"bit 10 without mode-based execute control", 1, UX, 0, false},
      {"accessed and dirty bits without EPT A/D", 1, EA | ED, 0, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Rig r;
    r.ept.map(gpa, 0x2077000);
    r.ept.set(gpa, c.level, (r.ept.get(gpa, c.level) & ~c.clear_bits) | c.set_bits);
    const EptResult res = translate(r, gpa, kNeedR);
    CHECK(res.fault == (c.misconfig ? EptFaultKind::Misconfig : EptFaultKind::None));
    if (c.misconfig) {
      const EptFault f = ept_fault_record(r.sl, res, gpa, kNeedR, LinearInfo{true, true, 0x1234});
      CHECK(f.exit_reason() == 49);
      CHECK(f.qualification == 0);
      CHECK(f.gpa == gpa);
    }
  }
}

TEST_CASE("large pages: reserved frame bits are misconfigurations") {
  Rig r;
  r.ept.map(0x600000, 0x2600000 | 0x1000, RWX | WB, 21);  // bit 12 of a 2 MiB page's frame
  CHECK(translate(r, 0x600000, kNeedR).fault == EptFaultKind::Misconfig);
  r.ept.map(0x600000, 0x2600000, RWX | WB, 21);
  CHECK(translate(r, 0x600000, kNeedR).fault == EptFaultKind::None);
  r.ept.map(0x40000000, 0x80000000 | 0x100000, RWX | WB, 30);  // bit 20 of a 1 GiB page's frame
  CHECK(translate(r, 0x40000000, kNeedR).fault == EptFaultKind::Misconfig);
}

TEST_CASE("the first problem on the path decides: misconfiguration above, violation below") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  // Not present above, misconfigured below: a violation (the walk stops).
  r.ept.set(0x345000, 1, 0x2077000 | W | WB);
  r.ept.rights(0x345000, 3, 0);
  CHECK(translate(r, 0x345000, kNeedR).fault == EptFaultKind::Violation);
  // A read-only PDPTE (the write will be refused) above a misconfigured
  // PTE: a misconfiguration, which outranks the violation.
  r.ept.rights(0x345000, 3, R);
  CHECK(translate(r, 0x345000, kNeedW).fault == EptFaultKind::Misconfig);
  // A not-present entry with reserved bits set is just not present.
  r.ept.set(0x345000, 1, 0x2077000 | (u64(1) << 51) | WB);
  CHECK(translate(r, 0x345000, kNeedR).fault == EptFaultKind::Violation);
}

TEST_CASE("execute-only entries, with and without the capability") {
  Rig r;
  r.ept.map(0x345000, 0x2077000, X | WB);
  CHECK(translate(r, 0x345000, kNeedX).fault == EptFaultKind::None);
  CHECK(translate(r, 0x345000, kNeedR).fault == EptFaultKind::Violation);
  // Where IA32_VMX_EPT_VPID_CAP bit 0 is clear, 100b is a misconfiguration
  // at any level.
  for (int level = 1; level <= 4; ++level) {
    CAPTURE(level);
    Rig q;
    q.ept.map(0x345000, 0x2077000);
    q.ept.rights(0x345000, level, X);
    EptContext ctx = q.context();
    q.sl.execute_only = false;
    CHECK(ept_translate(ctx, 0x345000, kNeedX).fault == EptFaultKind::Misconfig);
    q.sl.execute_only = true;
    CHECK(ept_translate(ctx, 0x345000, kNeedX).fault == EptFaultKind::None);
  }
}

TEST_CASE("mode-based execute control: bit 2 for supervisor-mode, bit 10 for user-mode linear addresses") {
  Rig r;
  r.ept.map(0x345000, 0x2077000, R | X | WB);
  EptContext ctx = r.context();
  r.sl.mode_based_exec = true;
  CHECK(ept_need(Access::Exec, true, false) == kNeedX);
  CHECK(ept_need(Access::Exec, true, true) == kNeedUserX);
  CHECK(ept_need(Access::Exec, false, true) == kNeedX);
  // R|X: supervisor fetches only.
  CHECK(ept_translate(ctx, 0x345000, kNeedX).fault == EptFaultKind::None);
  EptResult user = ept_translate(ctx, 0x345000, kNeedUserX);
  REQUIRE(user.fault == EptFaultKind::Violation);
  EptFault f = ept_fault_record(r.sl, user, 0x345000, kNeedUserX, LinearInfo{});
  CHECK(f.qualification == (ept_qual::kFetch | (R | X) << 3));  // bit 6 clear: not user-executable
  // R|bit 10: user fetches only; bit 6 reports the AND of bit 10 (which
  // the entries above must have too).
  for (int level = 2; level <= 4; ++level) r.ept.rights(0x345000, level, RWX | UX);
  r.ept.map(0x345000, 0x2077000, R | UX | WB);
  CHECK(ept_translate(ctx, 0x345000, kNeedUserX).fault == EptFaultKind::None);
  EptResult sup = ept_translate(ctx, 0x345000, kNeedX);
  REQUIRE(sup.fault == EptFaultKind::Violation);
  f = ept_fault_record(r.sl, sup, 0x345000, kNeedX, LinearInfo{});
  CHECK(f.qualification == (ept_qual::kFetch | R << 3 | ept_qual::kUserExecutable));
  // Bit 10 alone makes an entry present (user execute-only) with the
  // control on, and not without it.
  r.ept.map(0x345000, 0x2077000, UX | WB);
  CHECK(ept_translate(ctx, 0x345000, kNeedUserX).fault == EptFaultKind::None);
  r.sl.execute_only = false;
  CHECK(ept_translate(ctx, 0x345000, kNeedUserX).fault == EptFaultKind::Misconfig);
  r.sl.execute_only = true;
  r.sl.mode_based_exec = false;
  EptResult off = ept_translate(ctx, 0x345000, kNeedX);
  CHECK(off.fault == EptFaultKind::Violation);
  CHECK(off.path_rights == 0);  // not present
}

TEST_CASE("memory type and ignore-PAT of the page, and suppress #VE of a violation") {
  Rig r;
  r.ept.map(0x345000, 0x2077000, RWX | UC | IPAT);
  EptResult a = translate(r, 0x345000, kNeedR);
  REQUIRE(a.fault == EptFaultKind::None);
  CHECK(a.t.memtype == 0);
  CHECK(a.t.ipat);
  r.ept.map(0x600000, 0x2600000, RWX | (4 << 3), 21);
  EptResult b = translate(r, 0x600000, kNeedR);
  CHECK(b.t.memtype == 4);
  CHECK(!b.t.ipat);
  r.ept.map(0x345000, 0x2077000, R | WB | SVE);
  EptResult c = translate(r, 0x345000, kNeedW);
  REQUIRE(c.fault == EptFaultKind::Violation);
  CHECK(c.suppress_ve);
  EptFault f = ept_fault_record(r.sl, c, 0x345000, kNeedW, LinearInfo{});
  CHECK(f.suppress_ve);
  r.ept.map(0x345000, 0x2077000, R | WB);
  CHECK(!translate(r, 0x345000, kNeedW).suppress_ve);
  // A not-present entry's bit 63 counts too (§28.2.2).
  r.ept.set(0x346000, 1, SVE);
  CHECK(translate(r, 0x346000, kNeedR).suppress_ve);
}

TEST_CASE("the second-level state saves and loads whole") {
  SecondLevel a;
  a.non_root = a.ept = a.vpid_enabled = a.mode_based_exec = a.pml = true;
  a.eptp = 0x123456000 | 0x5e;
  a.vpid = 0x4321;
  a.pml_address = 0x777000;
  a.pml_index = 300;
  a.execute_only = false;
  Serializer out;
  a.serialize(out);
  Serializer in(out.data());
  SecondLevel b;
  b.serialize(in);
  CHECK((b.non_root && b.ept && b.vpid_enabled && b.mode_based_exec && b.pml && !b.execute_only));
  CHECK(b.eptp == a.eptp);
  CHECK(b.vpid == 0x4321);
  CHECK(b.pml_address == 0x777000);
  CHECK(b.pml_index == 300);
  CHECK(b.effective_vpid() == 0x4321);
  CHECK(b.levels() == 4);
  CHECK(b.access_dirty());
  CHECK(b.ep4ta() == 0x123456000);
}

TEST_CASE("IA32_VMX_EPT_VPID_CAP bits vtlab reports") {
  // The bits the VMX capability MSR is built from, at their SDM positions
  // (Vol. 3D Appendix A.10).
  CHECK(ept_cap::kSupported == 0x00000f01067341c1ull);
}

}  // namespace
}  // namespace ept_test

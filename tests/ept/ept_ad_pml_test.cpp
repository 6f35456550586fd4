// Accessed and dirty flags for EPT (SDM Vol. 3C §28.2.4) and
// page-modification logging (§28.2.5), on single guest-physical accesses,
// and the guest-physical mapping cache's rules for them (§28.3).
#include <vector>

#include "tests/ept/ept_rig.h"

namespace ept_test {
namespace {

using ept_bits::kNeedR, ept_bits::kNeedW, ept_bits::kNeedX;

u64 entry(Rig& r, u64 gpa, int level) { return r.ept.get(gpa, level); }

TEST_CASE("without EPTP bit 6 no EPT entry changes") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  EptContext ctx = r.context(false);
  REQUIRE(ept_translate(ctx, 0x345000, kNeedW).fault == EptFaultKind::None);
  for (int level = 1; level <= 4; ++level) CHECK((entry(r, 0x345000, level) & (EA | ED)) == 0);
}

TEST_CASE("with EPTP bit 6, A is set in every entry used and D in the leaf of a write") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  EptContext ctx = r.context(true);
  std::vector<WalkStep> trace;
  REQUIRE(ept_translate(ctx, 0x345000, kNeedR, &trace).fault == EptFaultKind::None);
  for (int level = 1; level <= 4; ++level) {
    CAPTURE(level);
    CHECK((entry(r, 0x345000, level) & (EA | ED)) == EA);
  }
  // The trace shows the entries as they are after the update.
  REQUIRE(trace.size() == 4);
  CHECK(trace[3].entry == entry(r, 0x345000, 1));
  REQUIRE(ept_translate(ctx, 0x345000, kNeedX).fault == EptFaultKind::None);
  CHECK((entry(r, 0x345000, 1) & ED) == 0);
  EptResult w = ept_translate(ctx, 0x345000, kNeedW);
  REQUIRE(w.fault == EptFaultKind::None);
  CHECK(w.t.dirty);
  CHECK((entry(r, 0x345000, 1) & (EA | ED)) == (EA | ED));
  for (int level = 2; level <= 4; ++level) CHECK((entry(r, 0x345000, level) & ED) == 0);
  // A 2 MiB page: A and D in the PDE that maps it.
  r.ept.map(0x600000, 0x2600000, RWX | WB, 21);
  REQUIRE(ept_translate(ctx, 0x600123, kNeedW).fault == EptFaultKind::None);
  CHECK((entry(r, 0x600000, 2) & (EA | ED)) == (EA | ED));
}

TEST_CASE("a refused access sets no EPT flag") {
  Rig r;
  r.ept.map(0x345000, 0x2077000, R | WB);
  EptContext ctx = r.context(true);
  REQUIRE(ept_translate(ctx, 0x345000, kNeedW).fault == EptFaultKind::Violation);
  for (int level = 1; level <= 4; ++level) CHECK((entry(r, 0x345000, level) & (EA | ED)) == 0);
}

TEST_CASE("a look-only walk (the debugger's) sets no flag and logs nothing") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  SecondLevel sl = r.second_level(true);
  sl.pml = true;
  sl.pml_address = 0x3000000;
  sl.pml_index = 511;
  EptContext ctx{r.mem, sl, nullptr, false};
  REQUIRE(ept_translate(ctx, 0x345000, kNeedW).fault == EptFaultKind::None);
  CHECK((entry(r, 0x345000, 1) & (EA | ED)) == 0);
  CHECK(sl.pml_index == 511);
}

TEST_CASE("page-modification logging: a page is logged when its EPT dirty flag is set") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  r.ept.map(0x346000, 0x2078000);
  r.ept.map(0x600000, 0x2600000, RWX | WB, 21);
  const u64 log = 0x3000000;
  SecondLevel sl = r.second_level(true);
  sl.pml = true;
  sl.pml_address = log;
  sl.pml_index = 511;
  EptContext ctx{r.mem, sl, nullptr, true};
  // A read sets no D flag: nothing is logged.
  REQUIRE(ept_translate(ctx, 0x345678, kNeedR).fault == EptFaultKind::None);
  CHECK(sl.pml_index == 511);
  // The first write: logged at index 511, 4 KiB-aligned; the index goes down.
  REQUIRE(ept_translate(ctx, 0x345678, kNeedW).fault == EptFaultKind::None);
  CHECK(r.mem.read(log + 8 * 511, 8) == 0x345000);
  CHECK(sl.pml_index == 510);
  // D is already set: no second entry.
  REQUIRE(ept_translate(ctx, 0x345ff0, kNeedW).fault == EptFaultKind::None);
  CHECK(sl.pml_index == 510);
  // A 2 MiB page logs the 4 KiB page written.
  REQUIRE(ept_translate(ctx, 0x7ab123, kNeedW).fault == EptFaultKind::None);
  CHECK(r.mem.read(log + 8 * 510, 8) == 0x7ab000);
  CHECK(sl.pml_index == 509);
  // Index 0 takes the last entry, and then the log is full: the next page
  // to become dirty is a PML-full event, and its flags stay as they were.
  sl.pml_index = 0;
  r.ept.set(0x346000, 1, 0x2078000 | RWX | WB);  // A clear
  r.ept.map(0x347000, 0x2079000);
  REQUIRE(ept_translate(ctx, 0x347000, kNeedW).fault == EptFaultKind::None);
  CHECK(r.mem.read(log, 8) == 0x347000);
  CHECK(sl.pml_index == 0xffff);
  const EptResult full = ept_translate(ctx, 0x346010, kNeedW);
  CHECK(full.fault == EptFaultKind::PmlFull);
  CHECK((entry(r, 0x346000, 1) & (EA | ED)) == 0);
  CHECK(sl.pml_index == 0xffff);
  EptFault f = ept_fault_record(sl, full, 0x346010, kNeedW, LinearInfo{true, true, 0x9000});
  CHECK(f.exit_reason() == 62);
  CHECK(f.qualification == 0);
  // Reads still work with a full log.
  CHECK(ept_translate(ctx, 0x346010, kNeedR).fault == EptFaultKind::None);
}

TEST_CASE("PML needs EPT A/D: without EPTP bit 6 nothing is logged") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  SecondLevel sl = r.second_level(false);
  sl.pml = true;
  sl.pml_address = 0x3000000;
  sl.pml_index = 511;
  EptContext ctx{r.mem, sl, nullptr, true};
  REQUIRE(ept_translate(ctx, 0x345000, kNeedW).fault == EptFaultKind::None);
  CHECK(sl.pml_index == 511);
  CHECK(r.mem.read(0x3000000 + 8 * 511, 8) == 0);
}

TEST_CASE("guest-physical mappings: cached once permitted, never a refusal, and a write still sets D") {
  Rig r;
  r.ept.map(0x345000, 0x2077000);
  GpaTlb cache;
  SecondLevel sl = r.second_level(true);
  sl.pml = true;
  sl.pml_address = 0x3000000;
  sl.pml_index = 511;
  EptContext ctx{r.mem, sl, &cache, true};
  REQUIRE(ept_translate(ctx, 0x345000, kNeedR).fault == EptFaultKind::None);
  CHECK(cache.live_entries() == 1);
  // The mapping is used while it lasts: a change in memory is not seen.
  r.ept.set(0x345000, 1, 0x2099000 | RWX | WB | EA);
  EptResult stale = ept_translate(ctx, 0x345000, kNeedR);
  CHECK(stale.t.hpa(0x345000) == 0x2077000);
  // A write through an entry cached with D clear walks: D is set (in the
  // entry in memory now) and the page logged.
  EptResult w = ept_translate(ctx, 0x345000, kNeedW);
  CHECK(w.t.hpa(0x345000) == 0x2099000);
  CHECK((entry(r, 0x345000, 1) & ED) == ED);
  CHECK(sl.pml_index == 510);
  // A violation drops the address's mapping; nothing refused is cached.
  cache.flush_all();
  r.ept.set(0x345000, 1, 0x2099000 | R | WB | EA | ED);
  REQUIRE(ept_translate(ctx, 0x345000, kNeedR).fault == EptFaultKind::None);
  CHECK(cache.live_entries() == 1);
  CHECK(ept_translate(ctx, 0x345000, kNeedW).fault == EptFaultKind::Violation);
  CHECK(cache.live_entries() == 0);
  r.ept.map(0x346000, 0x2078000, X | WB);
  CHECK(ept_translate(ctx, 0x346000, kNeedR).fault == EptFaultKind::Violation);
  CHECK(cache.live_entries() == 0);
  // Flushes by EP4TA.
  r.ept.set(0x345000, 1, 0x2099000 | RWX | WB | EA | ED);
  REQUIRE(ept_translate(ctx, 0x345000, kNeedR).fault == EptFaultKind::None);
  cache.flush_ept(sl.ep4ta() + 0x1000);
  CHECK(cache.live_entries() == 1);
  cache.flush_ept(sl.ep4ta());
  CHECK(cache.live_entries() == 0);
}

}  // namespace
}  // namespace ept_test

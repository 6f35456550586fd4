// The CPUID model is coherent (DESIGN: every bit reported works): each
// reported feature comes with its prerequisites, each instruction-set
// extension the decoder admits is announced by its CPUID bit, and MOV to CR4
// accepts a bit exactly when CPUID reports the feature behind it. The
// tables live in cpu/cpuid_table.cpp; this test walks them.
#include <Zydis/Zydis.h>
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "cpu/cpu.h"
#include "cpu/cpuid_table.h"

namespace {

using namespace vtlab;

using Report = std::function<void(u32 leaf, u32 subleaf, u32 out[4])>;

bool reported(const Report& report, const CpuidBit& b) {
  u32 out[4];
  report(b.leaf, b.subleaf, out);
  return (out[int(b.reg)] & cpuid_bit_mask(b)) != 0;
}

// "X needs Y" for every requirement the report breaks.
std::vector<std::string> broken_requirements(const Report& report) {
  std::vector<std::string> broken;
  for (const CpuidRequirement& r : cpuid_requirements())
    if (reported(report, r.feature) && !reported(report, r.needs))
      broken.push_back(std::string(r.feature.name) + " needs " + r.needs.name + ": " + r.why);
  return broken;
}

struct Machine {
  Scheduler sched;
  PortBus ports;
  PhysMem mem{2u << 20};
  Cpu cpu{mem, ports, sched};
  Report report() {
    return [this](u32 leaf, u32 subleaf, u32 out[4]) { cpu.cpuid(leaf, subleaf, out); };
  }
};

}  // namespace

TEST_CASE("every feature CPUID reports comes with its prerequisites") {
  Machine m;
  m.cpu.cr4 = cr4::PKE;  // so that OSPKE is reported too
  for (const std::string& b : broken_requirements(m.report())) FAIL_CHECK(b);
  CHECK(!cpuid_requirements().empty());
}

TEST_CASE("the coherence check catches a feature reported without its prerequisite") {
  Machine m;
  Report without_pae = [&](u32 leaf, u32 subleaf, u32 out[4]) {
    m.cpu.cpuid(leaf, subleaf, out);
    if (leaf == feature::PAE.leaf) out[int(feature::PAE.reg)] &= ~cpuid_bit_mask(feature::PAE);
  };
  std::vector<std::string> broken = broken_requirements(without_pae);
  REQUIRE(broken.size() >= 2);
  CHECK(broken[0].rfind("LM needs PAE", 0) == 0);
  CHECK(broken[1].rfind("NX needs PAE", 0) == 0);
}

TEST_CASE("the paging features are reported (they work: tests/paging), 5-level paging is not") {
  Machine m;
  const Report report = m.report();
  for (const CpuidBit* b :
       {&feature::PSE, &feature::PAE, &feature::PGE, &feature::PSE36, &feature::PCID, &feature::SMEP, &feature::INVPCID,
        &feature::SMAP, &feature::PKU, &feature::NX, &feature::PAGE1GB}) {
    CAPTURE(b->name);
    CHECK(reported(report, *b));
  }
  CHECK(!reported(report, feature::LA57));
  CHECK(!reported(report, feature::OSPKE));  // CR4.PKE = 0 after reset
  u32 out[4];
  m.cpu.cpuid(0x80000008, 0, out);
  CHECK((out[0] & 0xff) == kMaxPhysAddrBits);
  CHECK(((out[0] >> 8) & 0xff) == 48);
}

TEST_CASE("every instruction-set extension the decoder admits is announced by a reported CPUID bit") {
  Machine m;
  const Report report = m.report();
  auto listed_ext = [](u16 ext) -> const IsaFeature* {
    for (const IsaFeature& f : isa_features())
      if (f.zydis_isa_ext == ext && ext != ZYDIS_ISA_EXT_INVALID) return &f;
    return nullptr;
  };
  auto listed_set = [](u16 set) -> const IsaFeature* {
    for (const IsaFeature& f : isa_features())
      if (f.zydis_isa_ext == ZYDIS_ISA_EXT_INVALID && f.zydis_isa_set == set) return &f;
    return nullptr;
  };
  for (unsigned ext = 0; ext <= ZYDIS_ISA_EXT_MAX_VALUE; ++ext) {
    if (!isa_supported(u16(ext), ZYDIS_ISA_SET_INVALID)) continue;
    CAPTURE(ext);
    const IsaFeature* f = listed_ext(u16(ext));
    REQUIRE_MESSAGE(f, "an admitted ISA extension has no CPUID bit in isa_features()");
    if (f->bit) CHECK_MESSAGE(reported(report, *f->bit), f->bit->name);
  }
  for (unsigned set = 0; set <= ZYDIS_ISA_SET_MAX_VALUE; ++set) {
    if (!isa_supported(ZYDIS_ISA_EXT_INVALID, u16(set))) continue;
    CAPTURE(set);
    const IsaFeature* f = listed_set(u16(set));
    REQUIRE_MESSAGE(f, "an admitted ISA set has no CPUID bit in isa_features()");
    if (f->bit) CHECK_MESSAGE(reported(report, *f->bit), f->bit->name);
  }
  // And the other way: a listed extension whose bit is reported is admitted.
  for (const IsaFeature& f : isa_features()) {
    if (!f.bit || !reported(report, *f.bit)) continue;
    CAPTURE(f.bit->name);
    CHECK(isa_supported(f.zydis_isa_ext, f.zydis_isa_set));
  }
}

TEST_CASE("MOV to CR4 accepts a bit exactly when CPUID reports the feature behind it") {
  Machine m;
  const Report report = m.report();
  u64 listed = 0;
  for (const Cr4Feature& f : cr4_features()) {
    listed |= f.cr4_bit;
    const bool accepted = (kSupportedCr4 & f.cr4_bit) != 0;
    const bool announced = !f.bit || reported(report, *f.bit);
    CAPTURE(f.cr4_bit);
    CHECK(accepted == announced);
    if (!accepted) {
      // A bit nothing announces is #GP(0) (in any mode).
      m.cpu.cr4 = 0;
      try {
        m.cpu.write_cr(4, f.cr4_bit);
        FAIL_CHECK("MOV to CR4 accepted an unreported bit");
      } catch (const GuestFault& g) {
        CHECK(g.vector == kGP);
      }
    }
  }
  CHECK((kSupportedCr4 & ~listed) == 0);  // every accepted bit is in the table
}

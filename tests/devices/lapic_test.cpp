// The local APIC as software programs it, through its xAPIC page and its
// x2APIC MSRs, with the processor side taking interrupts. Expected values
// from the Intel SDM Vol. 3A ch. 10 (sections cited per case).
#include <doctest/doctest.h>

#include "devices/lapic/lapic.h"
#include "tests/devices/apic_rig.h"

using namespace vtlab;
using namespace vtlab::lapic;
using test::ApicRig;

namespace {

constexpr u32 kFixed = 0, kLowest = 1u << 8, kNmi = 4u << 8, kInit = 5u << 8, kStartUp = 6u << 8;
constexpr u32 kLogical = 1u << 11, kAssert = 1u << 14, kLevelTrig = 1u << 15;
constexpr u32 kSelf = 1u << 18, kAll = 2u << 18, kAllButSelf = 3u << 18;

bool irr_has(ApicRig& r, u8 v, unsigned i = 0) { return (r.read(kIrr0 + v / 32, i) >> (v % 32)) & 1; }
bool isr_has(ApicRig& r, u8 v, unsigned i = 0) { return (r.read(kIsr0 + v / 32, i) >> (v % 32)) & 1; }
bool tmr_has(ApicRig& r, u8 v, unsigned i = 0) { return (r.read(kTmr0 + v / 32, i) >> (v % 32)) & 1; }

struct EoiRecorder final : EoiListener {
  std::vector<u8> vectors;
  void eoi(u8 v) override { vectors.push_back(v); }
};

}  // namespace

TEST_CASE("LAPIC: power-on register values (SDM §10.4.7.1, §10.12.5.1)") {
  ApicRig r(2);
  CHECK(r.read(kId, 0) == 0);
  CHECK(r.read(kId, 1) == 1u << 24);
  CHECK(r.read(kVersion) == 0x00050014);  // version 14H, 6 LVT entries
  CHECK(r.read(kTpr) == 0);
  CHECK(r.read(kPpr) == 0);
  CHECK(r.read(kLdr) == 0);
  CHECK(r.read(kDfr) == 0xffffffff);
  CHECK(r.read(kSvr) == 0xff);  // software disabled
  for (unsigned reg = kLvtTimer; reg <= kLvtError; ++reg) CHECK(r.read(reg) == kLvtMasked);
  CHECK(r.read(kInitialCount) == 0);
  CHECK(r.read(kCurrentCount) == 0);
  CHECK(r.read(kDivideConfig) == 0);
  CHECK(r.apic(0).apic_base() == 0xfee00900);  // BSP, enabled
  CHECK(r.apic(1).apic_base() == 0xfee00800);  // an AP
}

TEST_CASE("LAPIC: pending interrupts are taken highest priority class first; PPR and TPR hold back lower ones") {
  ApicRig r(2);
  r.enable_all();
  for (u8 v : {0x31, 0x52, 0x45}) r.ipi(1, kFixed | v, 0);
  CHECK(irr_has(r, 0x31));
  CHECK(irr_has(r, 0x52));
  REQUIRE(r.apic().has_interrupt());
  CHECK(r.take() == 0x52);
  CHECK(isr_has(r, 0x52));
  CHECK(!irr_has(r, 0x52));
  CHECK(r.read(kPpr) == 0x50);  // the in-service class (§10.8.3.1)
  CHECK(!r.apic().has_interrupt());
  r.eoi();
  CHECK(r.take() == 0x45);
  r.eoi();
  CHECK(r.take() == 0x31);
  r.eoi();
  CHECK(!r.apic().has_interrupt());
}

TEST_CASE("LAPIC: an interrupt is deliverable only above PPR's class; EOI ends the highest in service") {
  ApicRig r(2);
  r.enable_all();
  r.ipi(1, kFixed | 0x52, 0);
  CHECK(r.take() == 0x52);
  r.ipi(1, kFixed | 0x5f, 0);  // same class 5 as the one in service
  CHECK(!r.apic().has_interrupt());
  r.ipi(1, kFixed | 0x61, 0);
  CHECK(r.apic().has_interrupt());
  CHECK(r.take() == 0x61);  // nests
  CHECK(r.read(kPpr) == 0x60);
  r.eoi();  // ends 0x61
  CHECK(!isr_has(r, 0x61));
  CHECK(isr_has(r, 0x52));
  CHECK(!r.apic().has_interrupt());  // 0x5f still waits for 0x52
  r.eoi();
  CHECK(r.take() == 0x5f);
  r.eoi();
  CHECK(r.read(kPpr) == 0);
  // TPR: classes at or below it wait (§10.8.3.1).
  r.write(kTpr, 0x70);
  r.ipi(1, kFixed | 0x7e, 0);
  CHECK(!r.apic().has_interrupt());
  CHECK(r.read(kPpr) == 0x70);
  r.write(kTpr, 0x60);
  CHECK(r.take() == 0x7e);
  // A vector that is no longer deliverable at INTA gives the spurious
  // vector and puts nothing in service (§10.9).
  r.eoi();
  CHECK(r.apic().acknowledge() == 0xff);
  CHECK(r.read(kIsr0 + 7) == 0);
}

TEST_CASE("LAPIC: TMR records the trigger mode; EOI of a level-triggered vector is broadcast to the IOAPICs") {
  ApicRig r(2);
  EoiRecorder io;
  r.bus.add_eoi_listener(io);
  r.enable_all();
  r.ipi(1, kFixed | kLevelTrig | kAssert | 0x40, 0);
  r.ipi(1, kFixed | 0x41, 0);
  CHECK(tmr_has(r, 0x40));
  CHECK(!tmr_has(r, 0x41));
  CHECK(r.take() == 0x41);
  r.eoi();
  CHECK(io.vectors.empty());  // edge: no broadcast
  CHECK(r.take() == 0x40);
  r.eoi();
  CHECK(io.vectors == std::vector<u8>{0x40});
}

TEST_CASE("LAPIC: illegal vectors set the ESR; a write makes the errors readable (§10.5.3)") {
  ApicRig r(2);
  r.enable_all();
  r.ipi(0, kFixed | 0x0e, 1);  // vectors 0-15 cannot be sent
  CHECK(!irr_has(r, 0x0e, 1));
  CHECK(r.read(kEsr) == 0);  // not yet latched
  r.write(kEsr, 0);
  CHECK(r.read(kEsr) == kEsrSendIllegalVector);
  r.write(kEsr, 0);
  CHECK(r.read(kEsr) == 0);
  // A received illegal vector (through an LVT entry) and the error LVT.
  r.write(kLvtError, 0xe3);
  r.write(kLvtLint0, 0x05);  // fixed, vector 5
  r.apic().lint(0).set_level(true);
  r.write(kEsr, 0);
  CHECK(r.read(kEsr) == kEsrReceiveIllegalVector);
  CHECK(irr_has(r, 0xe3));  // the error interrupt
  // A reserved register offset.
  r.apic().mmio_read(0x040, 4);
  r.write(kEsr, 0);
  CHECK(r.read(kEsr) == kEsrIllegalRegister);
}

TEST_CASE("LAPIC timer: one-shot counts the 25 MHz clock divided by DCR, in virtual time (§10.5.4)") {
  ApicRig r;
  r.enable();
  r.write(kLvtTimer, 0x40);     // one-shot, vector 0x40
  r.write(kDivideConfig, 0xb);  // divide by 1: 40 ticks per count at 1 tick/ns
  r.write(kInitialCount, 2500);
  CHECK(r.read(kCurrentCount) == 2500);
  r.advance(40 * 1250);
  CHECK(r.read(kCurrentCount) == 1250);
  r.advance(40 * 1250 - 1);  // one tick before the 2500th count
  CHECK(!irr_has(r, 0x40));
  CHECK(r.read(kCurrentCount) == 1);
  r.advance(1);
  CHECK(irr_has(r, 0x40));
  CHECK(r.read(kCurrentCount) == 0);
  CHECK(r.apic().view().next_timer_tick == Scheduler::kNever);  // one shot
  r.take();
  r.eoi();
  r.advance(1'000'000);
  CHECK(!irr_has(r, 0x40));
  // Divide by 16 (DCR 0011b): 16 times as long.
  r.write(kDivideConfig, 0x3);
  r.write(kInitialCount, 100);
  const u64 start = r.sched.now();
  r.advance(16 * 40 * 100 - 1);
  CHECK(!irr_has(r, 0x40));
  r.advance(1);
  CHECK(irr_has(r, 0x40));
  CHECK(r.sched.now() - start == 64'000);
  // Every DCR value: 2, 4, ..., 128, then 1.
  const unsigned expected[] = {2, 4, 8, 16, 32, 64, 128, 1};
  for (u32 v = 0; v < 8; ++v) CHECK((1u << divide_shift((v & 3) | ((v & 4) << 1))) == expected[v]);
}

TEST_CASE("LAPIC timer: periodic reloads at exact multiples, masked or not; a write of 0 stops it") {
  ApicRig r;
  r.enable();
  r.write(kDivideConfig, 0xb);
  r.write(kLvtTimer, (1u << 17) | kLvtMasked | 0x41);  // periodic, masked
  r.write(kInitialCount, 25'000);                      // 1 ms
  const u64 start = r.sched.now();
  r.advance(999'999);
  CHECK(r.read(kCurrentCount) == 1);
  r.advance(1);
  CHECK(r.read(kCurrentCount) == 25'000);  // reloaded
  CHECK(!irr_has(r, 0x41));                // masked: counts, no interrupt
  r.write(kLvtTimer, (1u << 17) | 0x41);   // unmask (same mode: the count goes on)
  CHECK(r.read(kCurrentCount) == 25'000);
  std::vector<u64> fired;
  for (int i = 0; i < 5; ++i) {
    while (!irr_has(r, 0x41)) r.advance(1000);
    fired.push_back(r.apic().view().next_timer_tick);
    CHECK(r.take() == 0x41);
    r.eoi();
  }
  // The next expiry is always a whole number of periods after the start.
  for (u64 t : fired) CHECK((t - start) % 1'000'000 == 0);
  CHECK(fired.back() - fired.front() == 4'000'000);
  r.write(kInitialCount, 0);
  CHECK(r.read(kCurrentCount) == 0);
  CHECK(r.apic().view().next_timer_tick == Scheduler::kNever);
}

TEST_CASE("LAPIC timer: TSC-deadline mode uses IA32_TSC_DEADLINE, fires once, clears it (§10.5.4.1)") {
  ApicRig r;
  r.enable();
  r.core().offset = 1000;             // TSC = virtual time + 1000 (IA32_TSC_ADJUST)
  r.apic().write_tsc_deadline(5000);  // one-shot mode: ignored
  CHECK(r.apic().tsc_deadline() == 0);
  r.write(kLvtTimer, (2u << 17) | 0x42);
  r.write(kInitialCount, 77);  // ignored in this mode
  CHECK(r.read(kInitialCount) == 0);
  CHECK(r.read(kCurrentCount) == 0);
  r.apic().write_tsc_deadline(50'000);  // TSC reaches it at tick 49'000
  CHECK(r.apic().tsc_deadline() == 50'000);
  r.advance(48'999);
  CHECK(!irr_has(r, 0x42));
  r.advance(1);
  CHECK(irr_has(r, 0x42));
  CHECK(r.apic().tsc_deadline() == 0);  // disarmed and cleared
  r.take();
  r.eoi();
  // A deadline already passed fires at once; 0 disarms.
  r.apic().write_tsc_deadline(1);
  r.advance(0);
  CHECK(irr_has(r, 0x42));
  r.take();
  r.eoi();
  r.apic().write_tsc_deadline(r.sched.now() + 10'000);
  r.apic().write_tsc_deadline(0);
  r.advance(100'000);
  CHECK(!irr_has(r, 0x42));
  // Changing the mode disarms.
  r.apic().write_tsc_deadline(r.sched.now() + 10'000);
  r.write(kLvtTimer, 0x42);  // one-shot
  CHECK(r.apic().tsc_deadline() == 0);
  r.advance(100'000);
  CHECK(!irr_has(r, 0x42));
}

TEST_CASE("LAPIC: LINT0 in ExtINT mode passes the 8259's INTR, above TPR; LINT1 in NMI mode raises NMI on edges") {
  ApicRig r;
  r.enable();
  r.write(kLvtLint0, 7u << 8);  // ExtINT
  r.write(kLvtLint1, 4u << 8);  // NMI
  r.write(kTpr, 0xf0);          // blocks every fixed interrupt, not ExtINT
  CHECK(!r.apic().has_interrupt());
  r.apic().lint(0).set_level(true);
  CHECK(r.apic().has_interrupt());
  r.pic.vector = 0x2c;
  CHECK(r.take() == 0x2c);  // the vector comes from the 8259's INTA
  CHECK(r.pic.acks == 1);
  CHECK(r.read(kIsr0 + 1) == 0);  // ExtINT bypasses IRR and ISR
  r.apic().lint(0).set_level(false);
  CHECK(!r.apic().has_interrupt());
  r.apic().lint(1).set_level(true);
  r.apic().lint(1).set_level(true);
  r.apic().lint(1).set_level(false);
  r.apic().lint(1).set_level(true);
  CHECK(r.core().nmis == 2);  // rising edges only
  // Masked: nothing passes.
  r.write(kLvtLint0, kLvtMasked | (7u << 8));
  r.apic().lint(0).set_level(true);
  CHECK(!r.apic().has_interrupt());
}

TEST_CASE("LAPIC: a level-triggered fixed LINT sets remote IRR; its EOI clears it and re-accepts a held line") {
  ApicRig r;
  r.enable();
  r.write(kLvtLint0, kLvtLevel | 0x50);
  r.apic().lint(0).set_level(true);
  CHECK((r.read(kLvtLint0) & kLvtRemoteIrr) != 0);
  CHECK(r.take() == 0x50);
  CHECK(tmr_has(r, 0x50));
  r.eoi();  // the line is still high: accepted again
  CHECK((r.read(kLvtLint0) & kLvtRemoteIrr) != 0);
  CHECK(r.take() == 0x50);
  r.apic().lint(0).set_level(false);
  r.eoi();
  CHECK((r.read(kLvtLint0) & kLvtRemoteIrr) == 0);
  CHECK(!r.apic().has_interrupt());
}

TEST_CASE("LAPIC: software disabled, LVT entries stay masked and fixed messages are dropped; NMI, INIT, SIPI pass") {
  ApicRig r(2);
  r.enable(1);
  r.write(kLvtTimer, 0x40);
  CHECK((r.read(kLvtTimer) & kLvtMasked) != 0);  // cannot unmask while disabled (§10.4.7.2)
  r.ipi(1, kFixed | 0x40, 0);
  CHECK(!irr_has(r, 0x40));
  r.ipi(1, kNmi, 0);
  CHECK(r.core(0).nmis == 1);
  r.ipi(1, kInit | kAssert, 0);
  CHECK(r.core(0).inits == 1);
  r.ipi(1, kStartUp | 0x9a, 0);
  CHECK(r.core(0).sipis == std::vector<u8>{0x9a});
  // Enabled, then disabled again: masks come back.
  r.enable(0);
  r.write(kLvtTimer, 0x40);
  CHECK(r.read(kLvtTimer) == 0x40);
  r.write(kSvr, 0xff);
  CHECK(r.read(kLvtTimer) == (kLvtMasked | 0x40));
  // A software-disabled APIC still sends IPIs.
  r.ipi(0, kFixed | 0x66, 1);
  CHECK(irr_has(r, 0x66, 1));
}

TEST_CASE("LAPIC: IPI destinations: physical, broadcast, shorthands, flat and cluster logical (§10.6.2)") {
  ApicRig r(4);
  r.enable_all();
  auto got = [&](u8 v) {
    unsigned mask = 0;
    for (unsigned i = 0; i < 4; ++i)
      if (irr_has(r, v, i)) mask |= 1u << i;
    return mask;
  };
  r.ipi(0, kFixed | 0x30, 2);
  CHECK(got(0x30) == 0b0100);
  r.ipi(0, kFixed | 0x31, 0xff);
  CHECK(got(0x31) == 0b1111);
  r.ipi(2, kFixed | kSelf | 0x32, 0);
  CHECK(got(0x32) == 0b0100);
  r.ipi(2, kFixed | kAll | 0x33, 0);
  CHECK(got(0x33) == 0b1111);
  r.ipi(2, kFixed | kAllButSelf | 0x34, 0);
  CHECK(got(0x34) == 0b1011);
  // Flat model: LDR bit per APIC.
  for (unsigned i = 0; i < 4; ++i) r.write(kLdr, (1u << i) << 24, i);
  r.ipi(0, kFixed | kLogical | 0x35, 0b0110);
  CHECK(got(0x35) == 0b0110);
  // Cluster model: cluster 1 = APICs 0, 1; cluster 2 = APICs 2, 3.
  for (unsigned i = 0; i < 4; ++i) {
    r.write(kDfr, 0x0fffffff, i);
    r.write(kLdr, (((1 + i / 2) << 4) | (1u << (i % 2))) << 24, i);
  }
  CHECK(r.read(kDfr, 0) == 0x0fffffff);
  r.ipi(0, kFixed | kLogical | 0x36, 0x22);  // cluster 2, member bit 1: APIC 3
  CHECK(got(0x36) == 0b1000);
  r.ipi(0, kFixed | kLogical | 0x37, 0x13);  // cluster 1, both members
  CHECK(got(0x37) == 0b0011);
  r.ipi(0, kFixed | kLogical | 0x38, 0xf1);  // every cluster, member bit 0
  CHECK(got(0x38) == 0b0101);
}

TEST_CASE("LAPIC: lowest priority goes to the lowest APR (ties to the lowest ID), or to the focus processor") {
  ApicRig r(3);
  r.enable_all();
  r.write(kTpr, 0x20, 0);
  r.write(kTpr, 0x10, 1);
  r.write(kTpr, 0x30, 2);
  r.ipi(0, kLowest | 0x50, 0xff);
  CHECK(irr_has(r, 0x50, 1));
  CHECK(!irr_has(r, 0x50, 0));
  CHECK(!irr_has(r, 0x50, 2));
  // APIC 1 holds 0x50 in IRR: with focus checking on, it gets 0x50 again
  // even after its TPR rose above the others'.
  r.write(kTpr, 0x40, 1);
  r.ipi(0, kLowest | 0x50, 0xff);
  CHECK(!irr_has(r, 0x50, 0));
  // A new vector goes by priority: APIC 0 (0x20).
  r.ipi(0, kLowest | 0x51, 0xff);
  CHECK(irr_has(r, 0x51, 0));
  // Ties: the lowest APIC ID; a software-disabled APIC takes no part.
  ApicRig t(3);
  t.enable(1);
  t.enable(2);
  t.ipi(2, kLowest | 0x52, 0xff);
  CHECK(irr_has(t, 0x52, 1));
  CHECK(!irr_has(t, 0x52, 2));
}

TEST_CASE("LAPIC: INIT and start-up IPIs; the INIT level de-assert is ignored") {
  ApicRig r(2);
  r.enable_all();
  r.ipi(0, kInit | kAssert | kLevelTrig, 1);
  CHECK(r.core(1).inits == 1);
  r.ipi(0, kInit | kLevelTrig, 1);  // de-assert (level 0)
  r.ipi(0, kInit | kLevelTrig | kAll, 0);
  CHECK(r.core(0).inits == 0);
  CHECK(r.core(1).inits == 1);
  r.ipi(0, kStartUp | 0x08, 1);
  r.ipi(0, kStartUp | 0x08, 1);
  CHECK(r.core(1).sipis == std::vector<u8>{0x08, 0x08});  // the core ignores the second
  CHECK(r.read(kIcrLow, 0) == (kStartUp | 0x08));         // delivery status: idle
  // INIT resets the registers but keeps the ID and the mode (§10.4.7.3).
  r.write(kId, 0x07000000, 1);
  r.write(kTpr, 0x30, 1);
  r.apic(1).init();
  CHECK(r.read(kId, 1) == 0x07000000);
  CHECK(r.read(kTpr, 1) == 0);
  CHECK(r.read(kSvr, 1) == 0xff);
}

TEST_CASE("x2APIC: MSR access, the 32-bit ID, the derived LDR, the 64-bit ICR and SELF IPI (§10.12)") {
  ApicRig r(18);
  for (unsigned i = 0; i < 18; ++i) {
    r.to_x2apic(i);
    CHECK(r.apic(i).x2apic_write(0x80f, 0x1ff));
  }
  u64 v = 0;
  REQUIRE(r.apic(17).x2apic_read(0x802, v));
  CHECK(v == 17);
  REQUIRE(r.apic(17).x2apic_read(0x80d, v));
  CHECK(v == ((1u << 16) | (1u << 1)));  // cluster 1, member 1
  REQUIRE(r.apic(0).x2apic_read(0x803, v));
  CHECK(v == 0x00050014);
  // ICR: destination in bits 63:32.
  CHECK(r.apic(0).x2apic_write(0x830, (u64(17) << 32) | 0x44));
  CHECK(r.apic(17).mmio_read(0x220, 4) == 0xffffffff);  // no xAPIC page in x2APIC mode
  REQUIRE(r.apic(17).x2apic_read(0x822, v));            // IRR 0x40-0x5f
  CHECK(v == (1u << 4));
  // Logical: cluster 1, members 0 and 1 (APICs 16, 17).
  CHECK(r.apic(0).x2apic_write(0x830, (u64(0x00010003) << 32) | kLogical | 0x45));
  REQUIRE(r.apic(16).x2apic_read(0x822, v));
  CHECK(v == (1u << 5));
  REQUIRE(r.apic(17).x2apic_read(0x822, v));
  CHECK(v == ((1u << 4) | (1u << 5)));
  REQUIRE(r.apic(1).x2apic_read(0x822, v));
  CHECK(v == 0);
  // SELF IPI.
  CHECK(r.apic(3).x2apic_write(0x83f, 0x46));
  REQUIRE(r.apic(3).x2apic_read(0x822, v));
  CHECK(v == (1u << 6));
  CHECK(r.take(3) == 0x46);
  CHECK(r.apic(3).x2apic_write(0x80b, 0));   // EOI
  REQUIRE(r.apic(3).x2apic_read(0x812, v));  // ISR 0x40-0x5f
  CHECK(v == 0);
}

TEST_CASE("x2APIC: #GP(0) for reserved MSRs, write-only reads, read-only writes, non-zero EOI/ESR, reserved bits") {
  ApicRig r;
  u64 v = 0;
  CHECK(!r.apic().x2apic_read(0x802, v));  // xAPIC mode: the MSRs do not exist
  r.to_x2apic();
  CHECK(r.apic().x2apic_read(0x802, v));
  CHECK(!r.apic().x2apic_write(0x802, 0));      // ID: read only
  CHECK(!r.apic().x2apic_write(0x80d, 0));      // LDR: read only
  CHECK(!r.apic().x2apic_read(0x80b, v));       // EOI: write only
  CHECK(!r.apic().x2apic_write(0x80b, 1));      // EOI: only 0
  CHECK(!r.apic().x2apic_read(0x83f, v));       // SELF IPI: write only
  CHECK(!r.apic().x2apic_write(0x83f, 0x100));  // reserved bits
  CHECK(!r.apic().x2apic_read(0x80e, v));       // no DFR
  CHECK(!r.apic().x2apic_read(0x831, v));       // no ICR high
  CHECK(!r.apic().x2apic_read(0x809, v));       // no APR
  CHECK(!r.apic().x2apic_read(0x804, v));       // reserved
  CHECK(!r.apic().x2apic_write(0x828, 1));      // ESR: only 0
  CHECK(r.apic().x2apic_write(0x828, 0));
  CHECK(!r.apic().x2apic_write(0x808, 0x100));     // TPR bits 31:8
  CHECK(!r.apic().x2apic_write(0x832, 1u << 19));  // LVT timer reserved bit
  CHECK(!r.apic().x2apic_write(0x830, 1u << 12));  // ICR delivery status is reserved
  CHECK(r.apic().x2apic_write(0x808, 0x20));
  CHECK(r.apic().tpr() == 0x20);
}

TEST_CASE("LAPIC: IA32_APIC_BASE: disabling loses the state but keeps the ID; disabled, LINT0 is INTR") {
  ApicRig r;
  r.enable();
  r.write(kId, 0x05000000);
  r.write(kTpr, 0x40);
  r.apic().set_apic_base(0xfee00100);                // EN = 0
  CHECK(r.apic().mmio_read(0x80, 4) == 0xffffffff);  // the page is gone
  r.apic().lint(0).set_level(true);
  CHECK(r.apic().has_interrupt());  // INTR straight to the core
  CHECK(r.take() == r.pic.vector);
  r.apic().lint(0).set_level(false);
  r.apic().set_apic_base(0xfee00900);
  CHECK(r.read(kTpr) == 0);
  CHECK(r.read(kSvr) == 0xff);
  CHECK(r.read(kId) == 0x05000000);
}

TEST_CASE("LAPIC: a snapshot round trip restores the registers and the running timer") {
  ApicRig a(1), b(1);
  a.enable();
  a.write(kTpr, 0x20);
  a.write(kDivideConfig, 0xb);
  a.write(kLvtTimer, (1u << 17) | 0x41);
  a.write(kInitialCount, 1000);
  a.ipi(0, kFixed | kSelf | 0x90, 0);
  a.advance(12'345);
  b.sched.advance_to(a.sched.now());
  Serializer save;
  a.apic().serialize(save);
  Serializer load(save.data());
  b.apic().serialize(load);
  const LapicView va = a.apic().view(), vb = b.apic().view();
  CHECK(vb.tpr == va.tpr);
  CHECK(vb.irr == va.irr);
  CHECK(vb.current_count == va.current_count);
  CHECK(vb.next_timer_tick == va.next_timer_tick);
  // Garbage loads into valid states, and a short snapshot is refused.
  std::vector<u8> junk(save.data().size(), 0xff);
  Serializer bad(junk);
  b.apic().serialize(bad);
  CHECK((b.apic().view().svr & ~kSvrWritable) == 0);
  Serializer cut(std::vector<u8>(3, 0));
  CHECK_THROWS_AS(b.apic().serialize(cut), Error);
}

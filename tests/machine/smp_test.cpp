// Several vCPUs in one Machine (docs/smp.md): application processors wait
// for INIT-SIPI-SIPI, the vCPUs share virtual time in quanta, HLT hands the
// time to the others, and the run is deterministic however it is sliced.
#include <doctest/doctest.h>

#include "core/base/error.h"
#include "core/machine/platform_layout.h"
#include "tests/machine/guest.h"

using namespace vtlab;

namespace {

// 32-bit code at 0x100000 (flat protected mode, paging off). It starts the
// AP (APIC ID 1) with INIT and a start-up IPI to page 08H, waits until the
// AP has written 1234H at 9000H, and ends with debug-exit code 0.
const std::vector<u8> kBspStartsAp = {
    0xc7, 0x05, 0x10, 0x03, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x01,  // mov dword [ICR high], 1 << 24
    0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x00, 0x00,  // mov dword [ICR low], INIT | assert
    0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x08, 0x06, 0x00, 0x00,  // mov dword [ICR low], SIPI | 08H
    0x81, 0x3d, 0x00, 0x90, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00,  // wait: cmp dword [9000H], 1234H
    0x75, 0xf4,                                                  // jne wait
    0xba, 0xf4, 0x00, 0x00, 0x00,                                // mov edx, 0F4H
    0x31, 0xc0,                                                  // xor eax, eax
    0xef,                                                        // out dx, eax
    0xf4,                                                        // hlt
};
// Real-mode code at 8000H for the AP: mov word [9000H], 1234H; cli; hlt.
const std::vector<u8> kApWrites = {0xc7, 0x06, 0x00, 0x90, 0x34, 0x12, 0xfa, 0xf4};
// 32-bit: increments dword [addr] for ever.
std::vector<u8> counting_loop(u32 addr) {
  return {0xff, 0x05, u8(addr), u8(addr >> 8), u8(addr >> 16), u8(addr >> 24), 0xeb, 0xf8};  // inc [addr]; jmp
}

BootImage with_ap_code(BootImage img, u64 addr, std::vector<u8> code) {
  BootBlob b;
  b.addr = addr;
  b.bytes = std::move(code);
  b.what = "AP code";
  img.blobs.push_back(b);
  return img;
}

MachineConfig smp(unsigned cpus) {
  MachineConfig cfg;
  cfg.ram_bytes = 32u << 20;
  cfg.cpus = cpus;
  return cfg;
}

}  // namespace

TEST_CASE("SMP: an AP waits for SIPI until the BSP sends INIT and a start-up IPI, then starts at vector:0000") {
  Machine m(smp(2));
  m.load(with_ap_code(machine_test::code_at(0x100000, kBspStartsAp), 0x8000, kApWrites));
  CHECK(m.cpu_count() == 2);
  CHECK(m.vcpu(1).waiting_for_sipi());
  CHECK_FALSE(m.vcpu(0).waiting_for_sipi());
  u64 base = 0;
  REQUIRE(m.cpu(1).read_msr(0x1b, base));
  CHECK(base == 0xfee00800);  // an AP: no BSP flag
  RunResult r = m.run(10'000'000);
  INFO(r.summary());
  CHECK(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == 0);
  CHECK(m.memory().read(0x9000, 2) == 0x1234);
  CHECK_FALSE(m.vcpu(1).waiting_for_sipi());
  CHECK(m.cpu(1).seg[CS].selector == 0x0800);
  CHECK(m.cpu(1).seg[CS].base == 0x8000);
  CHECK(m.cpu(1).halted);
  // Both clocks agree: the AP was brought up to the present.
  CHECK(m.cpu(1).icount() == m.cpu(0).icount());
  CHECK(r.instructions == m.cpu(0).retired() + m.cpu(1).retired());
}

TEST_CASE("SMP: without a start-up IPI the AP never runs; a halted machine names every vCPU") {
  Machine m(smp(3));
  m.load(machine_test::code_at(0x100000, {0xfa, 0xf4}));  // cli; hlt
  RunResult r = m.run(1'000'000);
  CHECK(r.end == RunEnd::Halted);
  CHECK(r.detail ==
        "every vCPU is halted: vCPU 0 HLT with interrupts disabled; vCPU 1 waiting for SIPI; vCPU 2 waiting for SIPI");
  CHECK(m.cpu(1).retired() == 0);
  CHECK(m.cpu(2).retired() == 0);
}

TEST_CASE("SMP: busy vCPUs share virtual time in equal quanta; a halted one gives its turn away") {
  // vCPU 1 is started directly in the counting loop (its start-up vector
  // page is the loop's page).
  for (bool bsp_halts : {false, true}) {
    CAPTURE(bsp_halts);
    Machine m(smp(2));
    BootImage img = machine_test::code_at(0x100000, bsp_halts ? std::vector<u8>{0xfb, 0xf4, 0xeb, 0xfd}  // sti; hlt
                                                              : counting_loop(0x9000));
    m.load(with_ap_code(img, 0x8000, {0x66, 0xff, 0x06, 0x04, 0x90, 0xeb, 0xf9}));  // inc dword [9004H]; jmp
    m.vcpu(1).startup(0x08);
    const u64 q = m.vcpu_scheduler().quantum();
    RunResult r = m.run(100 * q);
    CHECK(r.end == RunEnd::InsnLimit);
    CHECK(m.now() == 100 * q);
    if (!bsp_halts) {
      CHECK(m.cpu(0).retired() == 50 * q);  // turns of Q ticks, alternating
      CHECK(m.cpu(1).retired() == 50 * q);
    } else {
      CHECK(m.cpu(0).retired() == 2);  // sti; hlt: then its turns end at once
      CHECK(m.cpu(1).retired() == 100 * q - 2);
    }
    CHECK(r.instructions == m.cpu(0).retired() + m.cpu(1).retired());
    CHECK(m.cpu(0).tsc() == m.cpu(1).tsc());  // one clock
  }
}

TEST_CASE("SMP: a run sliced anywhere equals one run (the quantum resumes where a slice cut it)") {
  auto make = [] {
    auto m = std::make_unique<Machine>(smp(3));
    m->load(with_ap_code(machine_test::code_at(0x100000, counting_loop(0x9000)), 0x8000,
                         {0x66, 0xff, 0x06, 0x04, 0x90, 0xeb, 0xf9}));
    m->vcpu(1).startup(0x08);
    m->vcpu(2).startup(0x08);
    return m;
  };
  auto whole = make(), sliced = make();
  whole->run(1'234'567);
  for (u64 step : {1u, 7u, 9'999u, 10'001u, 33'333u, 500'000u}) sliced->run(step);
  sliced->run(1'234'567 - (1 + 7 + 9'999 + 10'001 + 33'333 + 500'000));
  CHECK(whole->now() == sliced->now());
  CHECK(whole->state_hash() == sliced->state_hash());
  for (unsigned i = 0; i < 3; ++i) CHECK(whole->cpu(i).retired() == sliced->cpu(i).retired());
}

TEST_CASE("SMP: CR8 is the local APIC's TPR[7:4] (SDM Vol. 3A §10.8.6.1); the IOAPIC ID follows the APIC IDs") {
  Machine m(smp(4));
  m.load(machine_test::code_at(0x100000, machine_test::kSpin));
  m.cpu(2).write_cr(8, 0x9);
  CHECK(m.lapic(2).tpr() == 0x90);
  m.lapic(2).set_tpr(0x5f);
  CHECK(m.cpu(2).read_cr(8) == 0x5);
  CHECK(m.lapic(0).tpr() == 0);
  CHECK(m.ioapic().view().id == platform::ioapic_id(4));
  // The firmware left the BSP in virtual-wire mode: LINT0 ExtINT, LINT1 NMI.
  CHECK(m.lapic(0).view().lvt[3] == 0x700);
  CHECK(m.lapic(0).view().lvt[4] == 0x400);
  CHECK(m.lapic(1).view().lvt[3] == 0x10000);
  CHECK_THROWS_AS(Machine(smp(0)), Error);
}

TEST_CASE("SMP: an INIT IPI to the bootstrap processor resets the machine (vtlab has no firmware to run)") {
  Machine m(smp(2));
  // mov dword [ICR low], INIT | assert | self; hlt
  m.load(machine_test::code_at(0x100000, {0xc7, 0x05, 0x00, 0x03, 0xe0, 0xfe, 0x00, 0x45, 0x04, 0x00, 0xf4}));
  RunResult r = m.run(1'000'000);
  CHECK(r.end == RunEnd::Reset);
  CHECK(r.detail == "an INIT IPI to the bootstrap processor");
}

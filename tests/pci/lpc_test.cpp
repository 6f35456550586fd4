// The ICH9 LPC bridge (D31:F0): the ACPI I/O block at PMBASE with
// ACPI_EN, SCI and PIRQ routing to the 8259 inputs and the IOAPIC inputs,
// the registers that are stored only, RCBA absent, reset and snapshots.
#include <doctest/doctest.h>

#include "core/base/scheduler.h"
#include "tests/pci/pci_rig.h"

using namespace pci_test;

namespace {

constexpr unsigned kLpc = 31;

// The rig with the ACPI PM block wired to the LPC bridge as the machine does.
struct LpcRig : PciRig {
  Scheduler scheduler;
  AcpiPm pm{scheduler, &lpc.sci_input(), AcpiPmConfig{0x600, 0}};
  LpcRig() {
    lpc.on_pm_decode = [this](std::optional<u16> base) {
      pm_decodes.push_back(base);
      pm.relocate(ports, base);
    };
  }
  std::vector<unsigned> raised_isa() const {
    std::vector<unsigned> v;
    for (unsigned i = 0; i < 16; ++i)
      if (isa[i].level()) v.push_back(i);
    return v;
  }
};

}  // namespace

TEST_CASE("LPC: identity of ICH9's LPC interface bridge") {
  PciRig r;
  CHECK(r.cfg_read(0, kLpc, 0, 0x00) == 0x29188086);
  CHECK(r.cfg_read(0, kLpc, 0, 0x08) == 0x06010002);
  CHECK(r.cfg_read(0, kLpc, 0, 0x0c) == 0x00800000);
  CHECK(r.cfg_read(0, kLpc, 0, 0x2c) == 0);
  CHECK(r.cfg_read(0, kLpc, 0, 0x3c) == 0);
  CHECK(r.cfg_read(0, kLpc, 0, 0xe0) == 0x010c0009);  // Feature Detection capability
}

TEST_CASE("LPC: the ACPI I/O block decodes at PMBASE while ACPI_EN is set") {
  LpcRig r;
  CHECK(r.cfg_read(0, kLpc, 0, 0x40) == 0x00000001);
  CHECK(r.cfg_read(0, kLpc, 0, 0x44, 1) == 0x00);
  CHECK_FALSE(r.pm.base());
  CHECK(r.ports.read(0x604, 2) == 0xffff);
  r.cfg_write(0, kLpc, 0, 0x40, 0x600);
  CHECK(r.cfg_read(0, kLpc, 0, 0x40) == 0x601);  // bit 0: I/O space
  CHECK(r.pm_decodes.empty());
  r.cfg_write(0, kLpc, 0, 0x44, 0x80, 1);
  REQUIRE(r.pm_decodes.size() == 1);
  CHECK(r.pm_decodes[0] == std::optional<u16>(0x600));
  CHECK(r.ports.read(0x604, 2) == 1);  // PM1_CNT: SCI_EN reads 1
  CHECK(std::string(r.ports.owner_name(0x608)) == "ACPI PM_TMR");
  // Moved: the old ports are free, the new ones answer.
  r.cfg_write(0, kLpc, 0, 0x40, 0x680);
  CHECK(r.ports.read(0x604, 2) == 0xffff);
  CHECK(r.ports.owner(0x608) == nullptr);
  CHECK(r.ports.read(0x684, 2) == 1);
  // Bits 6:1 and 31:16 read 0.
  r.cfg_write(0, kLpc, 0, 0x40, 0xffffffff);
  CHECK(r.cfg_read(0, kLpc, 0, 0x40) == 0x0000ff81);
  CHECK(r.ports.read(0xff84, 2) == 1);
  // The same base again announces nothing.
  const size_t announced = r.pm_decodes.size();
  r.cfg_write(0, kLpc, 0, 0x40, 0xff80);
  CHECK(r.pm_decodes.size() == announced);
  r.cfg_write(0, kLpc, 0, 0x44, 0x00, 1);
  CHECK(r.pm_decodes.back() == std::nullopt);
  CHECK(r.ports.read(0xff84, 2) == 0xffff);
  CHECK_FALSE(r.pm.base());
}

TEST_CASE("LPC: the SCI goes where SCI_IRQ_SEL says") {
  LpcRig r;
  r.cfg_write(0, kLpc, 0, 0x40, 0x600);
  r.cfg_write(0, kLpc, 0, 0x44, 0x80, 1);
  r.ports.write(0x602, 2, AcpiPm::kPwrBtn);  // PM1_EN.PWRBTN_EN
  r.pm.press_power_button();
  CHECK(r.raised_isa() == std::vector<unsigned>{9});
  const std::pair<u8, int> routes[] = {{1, 10}, {2, 11}, {3, -1}, {4, 20}, {5, 21}, {6, 22}, {7, 23}, {0, 9}};
  for (const auto& [sel, target] : routes) {
    CAPTURE(sel);
    r.cfg_write(0, kLpc, 0, 0x44, u32(0x80 | sel), 1);
    CHECK(r.raised_isa() ==
          (target >= 0 && target < 16 ? std::vector<unsigned>{unsigned(target)} : std::vector<unsigned>{}));
    for (unsigned i = 0; i < 8; ++i) CHECK(r.ioapic[i].level() == (int(i) + 16 == target));
  }
  r.ports.write(0x600, 2, AcpiPm::kPwrBtn);  // clear PWRBTN_STS: the SCI drops
  CHECK(r.raised_isa().empty());
}

TEST_CASE("LPC: PIRQx_ROUT routes PIRQx# to an ISA IRQ; IOAPIC input 16 + x always follows it") {
  LpcRig r;
  r.lpc.set_pirq(0, true);
  CHECK(r.raised_isa().empty());  // IRQEN: not routed at power-on
  CHECK(r.ioapic[0].level());
  for (unsigned code = 0; code < 16; ++code) {
    CAPTURE(code);
    r.cfg_write(0, kLpc, 0, 0x60, code, 1);
    const bool routable = (code >= 3 && code <= 7) || (code >= 9 && code <= 12) || code == 14 || code == 15;
    CHECK(r.raised_isa() == (routable ? std::vector<unsigned>{code} : std::vector<unsigned>{}));
    CHECK(r.lpc.pirq_route(0) == (routable ? std::optional<unsigned>(code) : std::nullopt));
  }
  r.cfg_write(0, kLpc, 0, 0x60, 0x8b, 1);  // IRQEN set again
  CHECK(r.raised_isa().empty());
  CHECK(r.ioapic[0].level());
  // PIRQE#-PIRQH# at 0x68-0x6b; two PIRQs on one IRQ are ORed.
  r.cfg_write(0, kLpc, 0, 0x60, 0x0a, 1);
  r.cfg_write(0, kLpc, 0, 0x6b, 0x0a, 1);
  r.lpc.set_pirq(7, true);
  r.lpc.set_pirq(0, false);
  CHECK(r.raised_isa() == std::vector<unsigned>{10});
  CHECK(r.ioapic[7].level());
  CHECK_FALSE(r.ioapic[0].level());
  r.lpc.set_pirq(7, false);
  CHECK(r.raised_isa().empty());
  // A device's INTx reaches the 8259 input through its PIRQ.
  TestFunction f(1);
  r.bus.add(1, 0, f);                      // INTA# of device 1: PIRQB#
  r.cfg_write(0, kLpc, 0, 0x61, 0x05, 1);  // PIRQB# -> IRQ 5
  f.set_intx(true);
  CHECK(r.raised_isa() == std::vector<unsigned>{5});
  CHECK(r.ioapic[1].level());
  f.set_intx(false);
  CHECK(r.raised_isa().empty());
}

TEST_CASE("LPC: stored registers keep their datasheet bits; RCBA is absent") {
  PciRig r;
  const std::tuple<unsigned, unsigned, u32, u32> regs[] = {
      // register, size, power-on, after all ones
      {0x48, 4, 0x00000001, 0x0000ffc1},  // GPIOBASE
      {0x4c, 1, 0x00, 0x10},              // GC: GPIO_EN
      {0x64, 1, 0x10, 0xd3},              // SIRQ_CNTL
      {0x80, 2, 0x0000, 0x1377},          // LPC_I/O_DEC
      {0x82, 2, 0x0000, 0x3f0f},          // LPC_EN
      {0x84, 4, 0, 0x00fcfffd},           // GEN1_DEC
      {0x90, 4, 0, 0x00fcfffd},           // GEN4_DEC
      {0xf0, 4, 0, 0},                    // RCBA: absent
      {0xa0, 4, 0, 0},                    // not modelled: reads 0
  };
  for (const auto& [reg, size, power_on, ones] : regs) {
    CAPTURE(reg);
    CHECK(r.cfg_read(0, kLpc, 0, reg, size) == power_on);
    r.cfg_write(0, kLpc, 0, reg, 0xffffffff, size);
    CHECK(r.cfg_read(0, kLpc, 0, reg, size) == ones);
  }
}

TEST_CASE("LPC: reset and snapshots") {
  LpcRig r;
  TestFunction f(1);
  r.bus.add(1, 0, f);  // INTA# of device 1: PIRQB#
  r.cfg_write(0, kLpc, 0, 0x40, 0x600);
  r.cfg_write(0, kLpc, 0, 0x44, 0x81, 1);
  r.cfg_write(0, kLpc, 0, 0x60, 0x0b0a0b0a);
  f.set_intx(true);
  CHECK(r.raised_isa() == std::vector<unsigned>{11});
  Serializer save;
  r.bus.serialize(save);
  LpcRig other;
  TestFunction g(1);
  other.bus.add(1, 0, g);
  Serializer load(save.data());
  other.bus.serialize(load);
  CHECK(other.pm.base() == std::optional<u16>(0x600));
  CHECK(other.ports.read(0x604, 2) == 1);
  CHECK(other.cfg_read(0, kLpc, 0, 0x60) == 0x0b0a0b0a);
  CHECK(other.raised_isa() == std::vector<unsigned>{11});
  CHECK(other.cfg_read(0, 1, 0, 0x06, 2) == 0x0018);  // the pin's status bit came along
  // A damaged snapshot keeps identities and read-only bits.
  std::vector<u8> junk(save.data().size(), 0xff);
  Serializer damaged(junk);
  other.bus.serialize(damaged);
  CHECK(other.cfg_read(0, kLpc, 0, 0x00) == 0x29188086);
  CHECK(other.cfg_read(0, 0, 0, 0x60) == 0xb0000001);
  CHECK(other.cfg_read(0, kLpc, 0, 0x40) == 0x0000ff81);
  CHECK(other.cfg_read(0, kLpc, 0, 0xf0) == 0);
  CHECK(other.cfg_read(0, 1, 0, 0x10) == 0xffffffe1);
  CHECK(other.pm.base() == std::optional<u16>(0xff80));
  // Reset: power-on registers, no decode, nothing routed.
  r.bus.reset();
  CHECK(r.cfg_read(0, kLpc, 0, 0x40) == 1);
  CHECK(r.cfg_read(0, kLpc, 0, 0x60) == 0x80808080);
  CHECK_FALSE(r.pm.base());
  CHECK(r.pm_decodes.back() == std::nullopt);
  CHECK(r.raised_isa().empty());
  CHECK_FALSE(r.ioapic[1].level());  // the function's pin was reset too
}

TEST_CASE("LPC: the bridge drives an 8259 line only when its own output there changes") {
  PciRig r;
  Ich9Lpc lpc;
  PciBus bus(r.ports, nullptr, kWindowBase, kWindowSize);
  bus.add(31, 0, lpc);
  r.isa[4].set_level(true);  // COM1 holds IRQ 4 up
  std::array<IrqLine*, 16> lines{};
  for (unsigned i = 0; i < 16; ++i) lines[i] = &r.isa[i];
  lpc.set_isa_lines(lines);
  CHECK(r.isa[4].level());
  Serializer save;
  bus.serialize(save);
  Serializer load(save.data());
  bus.serialize(load);
  bus.reset();
  CHECK(r.isa[4].level());
  // Routed there and released, the bridge's output falls: the PC's wired-OR
  // has no such thing, so routing a PIRQ onto a busy ISA line is the
  // configuration error the datasheet warns of.
  bus.config_write(0, pci::devfn(31, 0), Ich9Lpc::kPirqARout, 1, 0x04);
  lpc.set_pirq(0, true);
  lpc.set_pirq(0, false);
  CHECK_FALSE(r.isa[4].level());
}

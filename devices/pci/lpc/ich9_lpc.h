// The LPC interface bridge at PCI 00:1f.0: Intel ICH9's PCI-to-ISA/LPC
// bridge, 8086:2918, class 06/01/00 (ISA bridge), as on QEMU's q35 machine.
// Linux knows it (PCI_DEVICE_ID_INTEL_ICH9_1: the ICH7+ LPC quirk claims
// the ACPI I/O block at PMBASE, the lpc_ich driver binds to it) and so does
// software written for q35. Registers from the ICH9 datasheet, D31:F0:
// - Command 0x0007 (I/O, memory and bus master always on; Parity Error
//   Response and SERR# Enable read/write), status 0x0210 (DEVSEL medium,
//   Capabilities List; error bits write-1-to-clear), revision 0x02 (A2),
//   header type 0x80: multi-function, as D31 is on ICH9 (its SATA and
//   SMBus functions are not modelled: functions 1-7 read all ones).
// - Capability at 0xe0: Feature Detection, vendor specific (ID 09h, length
//   0x0c, version 1), feature bits 0.
// - PMBASE (0x40): bits 15:7 the ACPI I/O block's base, bit 0 reads 1 (I/O
//   space). ACPI_CNTL (0x44): bit 7 ACPI_EN decodes the block at PMBASE,
//   bits 2:0 SCI_IRQ_SEL route the SCI (0: IRQ 9, 1: IRQ 10, 2: IRQ 11,
//   4-7: IOAPIC inputs 20-23 only, 3: nowhere). on_pm_decode is told where
//   the block is (or that it is off) whenever that changes; the machine
//   moves the ACPI PM device there. Power-on: PMBASE 1, ACPI_EN 0, no
//   decode; the machine's firmware set-up programs PMBASE = 0x600 and
//   ACPI_EN.
// - PIRQ[A-D]_ROUT (0x60-0x63) and PIRQ[E-H]_ROUT (0x68-0x6b): bit 7
//   IRQEN (1: not routed to the 8259s), bits 3:0 the ISA IRQ (3-7, 9-12,
//   14, 15; the other codes are reserved and route nowhere). Power-on 0x80.
//   PIRQx# always also reaches IOAPIC input 16 + x (ICH9), on the IrqLines
//   given to set_ioapic_lines (none until an IOAPIC is wired).
// - SIRQ_CNTL (0x64, power-on 0x10), LPC_I/O_DEC (0x80), LPC_EN (0x82),
//   GEN1-4_DEC (0x84-0x93), GPIOBASE (0x48, bit 0 reads 1) and GC (0x4c):
//   stored with their datasheet write masks; nothing sits behind them here
//   (no serial IRQ devices, no LPC peripherals beyond the fixed ones, no
//   GPIO block).
// - RCBA (0xf0) is absent: it reads 0 (chipset configuration registers
//   disabled) and ignores writes. So there are no DxxIR/DxxIP interrupt
//   routing registers: bus 0's INTx routing is the fixed swizzle of PciBus,
//   and Linux's iTCO watchdog (lpc_ich) reports "RCBA is disabled".
// Interrupt outputs: ISA IRQ n is the OR of the SCI (if routed to n) and of
// each asserted PIRQ routed to n; the bridge sets the 8259 input when that
// output changes, and only then, so it never pulls down a line an ISA
// device holds up unless it had raised it. Routing a PIRQ to an IRQ an ISA
// device drives is a configuration error on a PC (two drivers on one
// line); here the last change wins. IOAPIC input 16 + x is
// PIRQx#'s assertion (and the SCI's for 20-23); levels are logical, high =
// asserted, though the pins are active low on the chip.
#pragma once
#include <array>
#include <functional>
#include <optional>

#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"

namespace vtlab {

class Ich9Lpc final : public PciDevice, public PirqRouter {
 public:
  static constexpr u16 kVendor = 0x8086, kDevice = 0x2918;
  static constexpr u8 kRevision = 0x02;
  static constexpr unsigned kPirqs = 8, kIsaIrqs = 16, kIoApicFirstGsi = 16;
  // Device-specific registers (ICH9 datasheet, LPC interface D31:F0).
  static constexpr u16 kPmBase = 0x40, kAcpiCntl = 0x44, kGpioBase = 0x48, kGpioCntl = 0x4c, kPirqARout = 0x60,
                       kSirqCntl = 0x64, kPirqERout = 0x68, kLpcIoDec = 0x80, kLpcEn = 0x82, kGen1Dec = 0x84,
                       kFdcap = 0xe0, kRcba = 0xf0;
  static constexpr u8 kAcpiEn = 0x80, kSciIrqSelMask = 0x07, kIrqEn = 0x80;
  static constexpr u16 kPmBlockSize = 128;

  Ich9Lpc();

  // Where the outputs go: the 8259 inputs (null where none: IRQ 2) and the
  // IOAPIC's inputs 16-23 (null until an IOAPIC exists).
  void set_isa_lines(const std::array<IrqLine*, kIsaIrqs>& lines);
  void set_ioapic_lines(const std::array<IrqLine*, kPirqs>& lines);
  // The SCI from the ACPI PM block, routed by SCI_IRQ_SEL.
  IrqLine& sci_input() { return sci_input_; }
  // The ACPI I/O block's base when decoded (ACPI_EN), none when not.
  std::function<void(std::optional<u16> base)> on_pm_decode;
  std::optional<u16> pm_decode() const;

  void set_pirq(unsigned pirq, bool asserted) override;
  // The ISA IRQ PIRQ `pirq` reaches, if routed.
  std::optional<unsigned> pirq_route(unsigned pirq) const;
  // The ISA IRQ, or the IOAPIC input (>= 16), the SCI reaches, if any.
  std::optional<unsigned> sci_route() const;
  bool isa_level(unsigned irq) const { return isa_level_[irq]; }
  bool ioapic_level(unsigned index) const { return ioapic_level_[index]; }

 private:
  class SciInput final : public IrqLine {
   public:
    Ich9Lpc* lpc = nullptr;
    void set_level(bool high) override;
  };

  void after_write(u16 offset, unsigned size) override;
  void device_reset() override;
  void after_load() override;
  void update_pm_decode();
  // Drives the lines whose level changed.
  void update_irqs();
  u16 pirq_register(unsigned pirq) const { return u16(pirq < 4 ? kPirqARout + pirq : kPirqERout + pirq - 4); }

  SciInput sci_input_;
  std::array<IrqLine*, kIsaIrqs> isa_lines_{};
  std::array<IrqLine*, kPirqs> ioapic_lines_{};
  std::array<bool, kPirqs> pirq_{};
  bool sci_ = false;
  std::array<bool, kIsaIrqs> isa_level_{};
  std::array<bool, kPirqs> ioapic_level_{};
  std::optional<u16> pm_decode_;
};

}  // namespace vtlab

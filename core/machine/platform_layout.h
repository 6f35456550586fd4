// The PC's fixed layout: memory-mapped devices, legacy I/O ports, ISA IRQ
// numbers, the ACPI fixed-hardware registers and the memory map, in one
// place. The chipset follows QEMU's q35 machine (ICH9 LPC bridge) where a
// guest can tell, so kernels written for QEMU find their devices at the
// same places. The machine wires the devices with
// these constants and the firmware tables (FADT, MADT, DSDT) describe them
// with the same ones, so the tables cannot disagree with the hardware.
// docs/devices.md has the port map as a table.
//
// The PM register block follows Intel's ICH9 (the chipset of QEMU's q35
// machine): PMBASE 0x600 with PM1a_EVT at +0, PM1a_CNT at +4, PM_TMR at +8,
// and the ICH9 SLP_TYP encoding (7 = S5, soft off).
#pragma once
#include "core/base/types.h"

namespace vtlab::platform {

// ---- Memory-mapped devices ----
inline constexpr u64 kLapicBase = 0xfee00000;  // every local APIC (xAPIC MMIO): each vCPU sees its own
inline constexpr u64 kLapicSize = 0x1000;
inline constexpr u64 kIoApicBase = 0xfec00000;
inline constexpr u64 kIoApicSize = 0x1000;  // the window e820 reserves; IOREGSEL at +0, IOWIN at +0x10
inline constexpr u32 kIoApicGsiBase = 0;
inline constexpr unsigned kIoApicPins = 24;  // GSIs 0-23 (82093AA: 24 redirection entries)
inline constexpr u64 kHpetBase = 0xfed00000;
inline constexpr u64 kHpetSize = 0x400;
// The HPET's General Capabilities and ID register, bits 31:0, which the
// ACPI HPET table repeats: vendor 0x8086, legacy replacement capable
// (bit 15), 64-bit counter (bit 13), 3 comparators (bits 12:8 = 2),
// revision 1. (The same value as QEMU's HPET.)
inline constexpr u32 kHpetEventTimerBlockId = 0x8086a201;
// The HPET's main counter runs at 100 MHz (COUNTER_CLK_PERIOD 10^7 fs), as
// QEMU's does: one count per 10 ticks at the default virtual clock rate.
inline constexpr u64 kHpetClockHz = 100'000'000;
// Tn_INT_ROUTE_CAP of timers 0-2: the IOAPIC inputs each timer may be
// routed to outside legacy replacement mode (ICH9's: GSI 20-23, timer 2
// also GSI 11).
inline constexpr u32 kHpetRouteCap[3] = {0x00f00000, 0x00f00000, 0x00f00800};

// PCI Express enhanced configuration space (ECAM), buses 0-255, as q35.
inline constexpr u64 kEcamBase = 0xb0000000;
inline constexpr u8 kEcamFirstBus = 0;
inline constexpr u8 kEcamLastBus = 255;
inline constexpr u64 kEcamSize = u64(kEcamLastBus - kEcamFirstBus + 1) << 20;

// The 32-bit PCI memory window the DSDT gives the host bridge: from the end
// of the ECAM window to the IOAPIC.
inline constexpr u64 kPciMmioBase = 0xc0000000;
inline constexpr u64 kPciMmioEnd = kIoApicBase;  // exclusive

// ---- ISA IRQ lines (inputs of the 8259 pair) ------------------------------------
inline constexpr unsigned kIrqPit = 0;
inline constexpr unsigned kIrqKeyboard = 1;
inline constexpr unsigned kIrqCascade = 2;  // the slave 8259's INTR on master IR2
inline constexpr unsigned kIrqCom1 = 4;
inline constexpr unsigned kIrqRtc = 8;
inline constexpr unsigned kIrqSci = 9;  // ACPI SCI: level triggered, active high (ELCR bit set by the machine)
inline constexpr unsigned kIrqMouse = 12;
inline constexpr unsigned kIrqFpuError = 13;

// ---- IOAPIC inputs (global system interrupts) --------------------------------------
// Every ISA IRQ line reaches both the 8259 pair and an IOAPIC input, as on a
// PC: IRQ n arrives at GSI n, except where an interrupt source override of
// the MADT says otherwise. The machine wires the lines from this table and
// the MADT is built from it, so the two cannot disagree.
// MPS INTI flags of an override (ACPI MADT): polarity bits 1:0 (0 as the
// bus: active high for ISA; 1 active high), trigger bits 3:2 (0 as the bus:
// edge for ISA; 3 level).
inline constexpr u16 kIntiConforming = 0, kIntiActiveHighLevel = 0x1 | 0x3 << 2;
struct IsaIrqOverride {
  unsigned irq, gsi;
  u16 flags;
};
// As QEMU's: the PIT's IRQ 0 (HPET timer 0 in legacy replacement mode) is
// wired to IOAPIC input 2, and the SCI is level triggered, active high.
inline constexpr IsaIrqOverride kIsaIrqOverrides[] = {
    {kIrqPit, 2, kIntiConforming},
    {kIrqSci, kIrqSci, kIntiActiveHighLevel},
};
constexpr unsigned isa_irq_to_gsi(unsigned irq) {
  for (const IsaIrqOverride& o : kIsaIrqOverrides)
    if (o.irq == irq) return o.gsi;
  return irq;
}
// IOAPIC input 0 is the 8259 pair's INTR (an ExtINT source), as on ICH9; no
// ISA line arrives there, since IRQ 0 goes to GSI 2.
inline constexpr unsigned kGsiPicIntr = 0;
static_assert(isa_irq_to_gsi(kIrqPit) != kGsiPicIntr);

// ---- legacy I/O ports -------------------------------------------------------------
inline constexpr u16 kPicMaster = 0x20;  // 0x20-0x21
inline constexpr u16 kPicSlave = 0xa0;   // 0xa0-0xa1
inline constexpr u16 kElcr = 0x4d0;      // 0x4d0 (IRQ 0-7), 0x4d1 (IRQ 8-15)
inline constexpr u16 kPit = 0x40;        // 0x40-0x43
inline constexpr u16 kI8042Data = 0x60;
inline constexpr u16 kSystemControlB = 0x61;  // NMI status and control: speaker gate, OUT2, refresh
inline constexpr u16 kI8042Command = 0x64;    // status on read
inline constexpr u16 kRtcIndex = 0x70;        // bit 7: NMI mask
inline constexpr u16 kRtcData = 0x71;
inline constexpr u16 kSystemControlA = 0x92;  // bit 0: fast reset, bit 1: A20
inline constexpr u16 kFpuErrorClear = 0xf0;   // write: clears the FERR# latch (IRQ13)
inline constexpr u16 kDebugExit = 0xf4;
inline constexpr u16 kResetControl = 0xcf9;  // a byte register among the PCI configuration ports (below)
inline constexpr u16 kCom1 = 0x3f8;

// ---- ACPI fixed hardware (FADT fields in the comments) ------------------------
inline constexpr u16 kPmBase = 0x600;
inline constexpr u16 kPm1aEvtBlk = kPmBase + 0;  // PM1a_EVT_BLK: PM1_STS (2 bytes), PM1_EN (2 bytes)
inline constexpr u8 kPm1EvtLen = 4;              // PM1_EVT_LEN
inline constexpr u16 kPm1aCntBlk = kPmBase + 4;  // PM1a_CNT_BLK
inline constexpr u8 kPm1CntLen = 2;              // PM1_CNT_LEN
inline constexpr u16 kPmTmrBlk = kPmBase + 8;    // PM_TMR_BLK
inline constexpr u8 kPmTmrLen = 4;               // PM_TMR_LEN; 24-bit timer: FADT flag TMR_VAL_EXT clear
inline constexpr u16 kPmBlockSize = 12;          // ports claimed from kPmBase
inline constexpr u64 kPmTimerHz = 3'579'545;
inline constexpr unsigned kPmTimerBits = 24;  // as the ICH9's and QEMU's (FADT TMR_VAL_EXT = 0)
// No SMI_CMD port (FADT SMI_CMD = 0, ACPI_ENABLE = ACPI_DISABLE = 0): the
// machine is always in ACPI mode and PM1_CNT.SCI_EN reads 1.
inline constexpr u16 kSmiCmd = 0;
inline constexpr unsigned kSciInterrupt = kIrqSci;  // FADT SCI_INT
// SLP_TYPx values (PM1_CNT bits 12:10) for the DSDT's \_S5 package: as
// QEMU's ACPI, so test kernels written for QEMU power off the same way.
inline constexpr u8 kSlpTypS5 = 0;  // QEMU's value, not ICH9's 7: `outw(0x604, 0x2000)` powers off
// FADT RESET_REG (System I/O, 8 bits at kResetControl) and RESET_VALUE: a
// hard reset through the reset control register.
inline constexpr u8 kResetValue = 0x06;
// FADT CENTURY: the CMOS byte holding the century (BCD).
inline constexpr u8 kCmosCentury = 0x32;

// ---- PCI (docs/devices.md "PCI") ----
// Bus 0: the host bridge (Q35 MCH, 8086:29c0) at 00:00.0, the LPC bridge
// (ICH9, 8086:2918) at 00:1f.0, as q35. Configuration mechanism #1 at
// 0xcf8/0xcfc (0xcf9 is kResetControl), ECAM at kEcamBase.
inline constexpr unsigned kHostBridgeDevice = 0;
inline constexpr unsigned kLpcDevice = 31;
inline constexpr u16 kPciConfigAddress = 0xcf8;
inline constexpr u16 kPciConfigData = 0xcfc;

// QEMU's fw_cfg sits at its x86 ports 0x510 (selector), 0x511 (data) and
// 0x514 (DMA address): devices/fw_cfg/fw_cfg_regs.h.
// fw_cfg DMA's requester id: ISA devices reach memory through the LPC
// bridge, PCI 00:1f.0.
inline constexpr u16 kLpcRequesterId = 0x00f8;

// ---- Memory map ----
inline constexpr u64 kLowRamEnd = 0xa0000;     // conventional memory ends at 640 KiB
inline constexpr u64 kBiosAreaEnd = 0x100000;  // [640 KiB, 1 MiB): VGA window and BIOS area, reserved
inline constexpr u64 kHighRamStart = 0x100000;
inline constexpr u64 kMmioHoleStart = 0xc0000000;  // RAM past 3 GiB is relocated above 4 GiB
inline constexpr u64 k4GiB = u64(1) << 32;

// The RSDP, where an OS scans for it (the BIOS area 0xE0000-0xFFFFF, ACPI
// 6.4 section 5.2.5.1); it is also handed over in boot_params.acpi_rsdp_addr.
inline constexpr u64 kRsdpAddr = 0xe0000;
// The SMBIOS entry points, where an OS scans for them (16-byte boundaries of
// the F segment 0xF0000-0xFFFFF, DSP0134 3.0 sections 5.2.1 and 5.2.2), and
// the structure table after them, to the end of the F segment.
inline constexpr u64 kFSegment = 0xf0000;
inline constexpr u64 kSmbios3EntryAddr = kFSegment;         // "_SM3_", 24 bytes
inline constexpr u64 kSmbios2EntryAddr = kFSegment + 0x20;  // "_SM_", 31 bytes
inline constexpr u64 kSmbiosTablesAddr = kFSegment + 0x40;
inline constexpr u64 kSmbiosTablesEnd = kBiosAreaEnd;
// The other ACPI tables live in the last kAcpiRegionSize bytes of RAM below
// the MMIO hole, reported as ACPI reclaimable memory (e820 type 3).
inline constexpr u64 kAcpiRegionSize = 0x10000;

// vCPUs the tables can describe: local APIC IDs 0..N-1 and the IOAPIC's ID
// N must fit the IOAPIC's 4-bit ID register (82093AA, ICH9).
inline constexpr unsigned kMaxCpus = 15;
inline constexpr u8 ioapic_id(unsigned cpus) { return u8(cpus); }

}  // namespace vtlab::platform

// The fixed addresses and numbers of the platform that the firmware tables
// (ACPI, e820, fw_cfg) describe. One definition for the table builders, the
// loaders and the devices that implement them; docs/firmware.md lists them.
//
// The chipset follows QEMU's q35 machine (ICH9 LPC bridge) where a guest can
// tell, so kernels written for QEMU find their devices at the same places.
#pragma once
#include "core/base/types.h"

namespace vtlab::platform {

// ---- Memory-mapped devices ----
inline constexpr u64 kLapicBase = 0xfee00000;  // every local APIC (xAPIC MMIO)
inline constexpr u64 kIoApicBase = 0xfec00000;
inline constexpr u32 kIoApicGsiBase = 0;
inline constexpr u64 kHpetBase = 0xfed00000;
inline constexpr u64 kHpetSize = 0x400;
// The HPET's General Capabilities and ID register, bits 31:0, which the
// ACPI HPET table repeats: vendor 0x8086, legacy replacement capable
// (bit 15), 64-bit counter (bit 13), 3 comparators (bits 12:8 = 2),
// revision 1. (The same value as QEMU's HPET.)
inline constexpr u32 kHpetEventTimerBlockId = 0x8086a201;

// PCI Express enhanced configuration space (ECAM), buses 0-255, as q35.
inline constexpr u64 kEcamBase = 0xb0000000;
inline constexpr u8 kEcamFirstBus = 0;
inline constexpr u8 kEcamLastBus = 255;
inline constexpr u64 kEcamSize = u64(kEcamLastBus - kEcamFirstBus + 1) << 20;

// The 32-bit PCI memory window the DSDT gives the host bridge: from the end
// of the ECAM window to the IOAPIC.
inline constexpr u64 kPciMmioBase = 0xc0000000;
inline constexpr u64 kPciMmioEnd = kIoApicBase;  // exclusive

// ---- I/O ports ----
// ACPI fixed hardware (ICH9 PMBASE 0x600, as QEMU q35).
inline constexpr u16 kPmBase = 0x600;
inline constexpr u16 kPm1aEvtBlk = kPmBase + 0x0;  // PM1_STS (2) + PM1_EN (2)
inline constexpr u8 kPm1EvtLen = 4;
inline constexpr u16 kPm1aCntBlk = kPmBase + 0x4;  // PM1_CNT
inline constexpr u8 kPm1CntLen = 2;
inline constexpr u16 kPmTmrBlk = kPmBase + 0x8;  // PM_TMR
inline constexpr u8 kPmTmrLen = 4;
// The PM timer counts 24 bits, as the ICH9's and QEMU's (FADT TMR_VAL_EXT = 0).
inline constexpr unsigned kPmTimerBits = 24;
// PM1_CNT.SLP_TYP for S5 (soft off) in the DSDT's \_S5: 0, as QEMU's ACPI
// (so the well-known `outw(0x604, 0x2000)` powers a q35-style machine off).
inline constexpr u8 kSlpTypS5 = 0;
inline constexpr u8 kSciIrq = 9;  // ISA IRQ of the ACPI SCI (level, active high)

// Reset register (the FADT's RESET_REG): the PCI reset control port.
inline constexpr u16 kResetPort = 0xcf9;
inline constexpr u8 kResetValue = 0x06;  // full reset: SYS_RST | RST_CPU

// RTC/CMOS index of the century byte (FADT CENTURY).
inline constexpr u8 kCmosCentury = 0x32;

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
// The other ACPI tables live in the last kAcpiRegionSize bytes of RAM below
// the MMIO hole, reported as ACPI reclaimable memory (e820 type 3).
inline constexpr u64 kAcpiRegionSize = 0x10000;

// vCPUs the tables can describe: local APIC IDs 0..N-1 and the IOAPIC's ID
// N must fit the IOAPIC's 4-bit ID register (82093AA, ICH9).
inline constexpr unsigned kMaxCpus = 15;
inline constexpr u8 ioapic_id(unsigned cpus) { return u8(cpus); }

}  // namespace vtlab::platform

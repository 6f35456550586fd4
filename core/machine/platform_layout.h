// The PC's fixed layout: legacy I/O ports, ISA IRQ numbers and the ACPI
// fixed-hardware registers, in one place. The machine wires the devices with
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

// ---- ISA IRQ lines (inputs of the 8259 pair) ------------------------------------
inline constexpr unsigned kIrqPit = 0;
inline constexpr unsigned kIrqKeyboard = 1;
inline constexpr unsigned kIrqCascade = 2;  // the slave 8259's INTR on master IR2
inline constexpr unsigned kIrqCom1 = 4;
inline constexpr unsigned kIrqRtc = 8;
inline constexpr unsigned kIrqSci = 9;  // ACPI SCI: level triggered, active high (ELCR bit set by the machine)
inline constexpr unsigned kIrqMouse = 12;
inline constexpr unsigned kIrqFpuError = 13;

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
inline constexpr u16 kResetControl = 0xcf9;  // byte access only; 0xcf8 and 0xcfc-0xcff stay free for PCI
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
// No SMI_CMD port (FADT SMI_CMD = 0, ACPI_ENABLE = ACPI_DISABLE = 0): the
// machine is always in ACPI mode and PM1_CNT.SCI_EN reads 1.
inline constexpr u16 kSmiCmd = 0;
inline constexpr unsigned kSciInterrupt = kIrqSci;  // FADT SCI_INT
// SLP_TYPx values (PM1_CNT bits 12:10) for the DSDT's \_S5 package.
inline constexpr u8 kSlpTypS5 = 7;
// FADT RESET_REG (System I/O, 8 bits at kResetControl) and RESET_VALUE: a
// hard reset through the reset control register.
inline constexpr u8 kResetValue = 0x06;
// FADT CENTURY: the CMOS byte holding the century (BCD).
inline constexpr u8 kCmosCentury = 0x32;

}  // namespace vtlab::platform

// QEMU's firmware configuration device, facts from QEMU's
// docs/specs/fw_cfg.rst and its fw_cfg key numbering (include/standard-headers/
// linux/qemu_fw_cfg.h, hw/nvram/fw_cfg.h).
#pragma once
#include "core/base/types.h"

namespace vtlab::fw_cfg {

// x86 I/O ports.
inline constexpr u16 kSelectorPort = 0x510;  // 16-bit write: select an item
inline constexpr u16 kDataPort = 0x511;      // 8-bit read: the next byte of the item
inline constexpr u16 kDmaPort = 0x514;       // 64-bit big-endian DMA address (two 32-bit halves)
inline constexpr unsigned kDmaPortCount = 8;

// Selector bits: bit 14 asks for the (obsolete) write channel, bit 15
// selects the architecture's items; the low 14 bits number the item.
inline constexpr u16 kWriteChannel = 0x4000;
inline constexpr u16 kArchLocal = 0x8000;
inline constexpr u16 kEntryMask = 0x3fff;

// Generic items.
inline constexpr u16 kSignature = 0x00;  // "QEMU"
inline constexpr u16 kId = 0x01;         // u32 feature bits
inline constexpr u16 kUuid = 0x02;       // 16 bytes
inline constexpr u16 kRamSize = 0x03;    // u64
inline constexpr u16 kNoGraphic = 0x04;  // u16
inline constexpr u16 kNbCpus = 0x05;     // u16: vCPUs at boot
inline constexpr u16 kKernelAddr = 0x07;
inline constexpr u16 kKernelSize = 0x08;
inline constexpr u16 kInitrdAddr = 0x0a;
inline constexpr u16 kInitrdSize = 0x0b;
inline constexpr u16 kMaxCpus = 0x0f;  // u16
inline constexpr u16 kKernelData = 0x11;
inline constexpr u16 kInitrdData = 0x12;
inline constexpr u16 kCmdlineAddr = 0x13;
inline constexpr u16 kCmdlineSize = 0x14;
inline constexpr u16 kCmdlineData = 0x15;
inline constexpr u16 kSetupAddr = 0x16;
inline constexpr u16 kSetupSize = 0x17;
inline constexpr u16 kSetupData = 0x18;
inline constexpr u16 kFileDir = 0x19;
inline constexpr u16 kFileFirst = 0x20;  // file items are numbered from here
// x86 items.
inline constexpr u16 kIrq0Override = kArchLocal | 0x02;  // u32: 1 = IRQ 0 is wired to IOAPIC pin 2

// FW_CFG_ID bits.
inline constexpr u32 kIdTraditional = 1u << 0;
inline constexpr u32 kIdDma = 1u << 1;

// The file directory: a big-endian u32 count, then 64-byte entries of
// big-endian u32 size, u16 select, u16 reserved, and a NUL-terminated name.
inline constexpr unsigned kFileEntrySize = 64;
inline constexpr unsigned kFileNameSize = 56;

// DMA: the FWCfgDmaAccess structure, big-endian: u32 control, u32 length,
// u64 address; control bits below, bits 31:16 the item for kDmaSelect.
inline constexpr unsigned kDmaAccessSize = 16;
inline constexpr u32 kDmaError = 1u << 0;
inline constexpr u32 kDmaRead = 1u << 1;
inline constexpr u32 kDmaSkip = 1u << 2;
inline constexpr u32 kDmaSelect = 1u << 3;
inline constexpr u32 kDmaWrite = 1u << 4;
// What reading the DMA address register gives: "QEMU CFG", big-endian.
inline constexpr u64 kDmaSignature = 0x51454d5520434647ull;

}  // namespace vtlab::fw_cfg

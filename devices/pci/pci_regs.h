// The standard PCI configuration header (PCI Local Bus Specification 3.0,
// chapter 6: the type 0 header, the command and status registers, base
// address registers, the capabilities list) and PCI addressing.
#pragma once
#include "core/base/types.h"

namespace vtlab::pci {

// Configuration space sizes: 256 bytes for PCI (reachable through
// configuration mechanism #1), 4 KiB for PCI Express (through ECAM).
inline constexpr unsigned kConfigSize = 256;
inline constexpr unsigned kExtConfigSize = 4096;

inline constexpr unsigned kDevicesPerBus = 32;
inline constexpr unsigned kFunctionsPerDevice = 8;

// Device and function as one byte (devfn), and the 16-bit requester id
// bus:device.function that DMA carries (DESIGN.md, VT-d).
constexpr u8 devfn(unsigned device, unsigned function) { return u8((device & 31) << 3 | (function & 7)); }
constexpr unsigned device_of(u8 devfn) { return devfn >> 3; }
constexpr unsigned function_of(u8 devfn) { return devfn & 7; }
constexpr u16 requester_id(u8 bus, u8 devfn) { return u16(bus << 8 | devfn); }

// Type 0 header offsets (PCI 3.0 figure 6-1).
namespace reg {
inline constexpr u16 kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06, kRevisionId = 0x08,
                     kProgIf = 0x09, kSubclass = 0x0a, kClassCode = 0x0b, kCacheLineSize = 0x0c, kLatencyTimer = 0x0d,
                     kHeaderType = 0x0e, kBist = 0x0f, kBar0 = 0x10, kCardbusCis = 0x28, kSubsystemVendorId = 0x2c,
                     kSubsystemId = 0x2e, kExpansionRom = 0x30, kCapabilitiesPtr = 0x34, kInterruptLine = 0x3c,
                     kInterruptPin = 0x3d, kMinGnt = 0x3e, kMaxLat = 0x3f;
inline constexpr unsigned kBarCount = 6;
// The first byte after the standard header: capabilities and
// device-specific registers live in [0x40, 0x100).
inline constexpr u16 kDeviceSpecific = 0x40;
}  // namespace reg

// Command register bits (PCI 3.0 §6.2.2).
namespace cmd {
inline constexpr u16 kIoSpace = 1u << 0, kMemorySpace = 1u << 1, kBusMaster = 1u << 2, kSpecialCycles = 1u << 3,
                     kMemWriteInvalidate = 1u << 4, kVgaSnoop = 1u << 5, kParityErrorResponse = 1u << 6,
                     kSerr = 1u << 8, kFastBackToBack = 1u << 9, kInterruptDisable = 1u << 10;
}

// Status register bits (PCI 3.0 §6.2.3).
namespace sts {
inline constexpr u16 kInterrupt = 1u << 3, kCapabilitiesList = 1u << 4, k66MHz = 1u << 5, kFastBackToBack = 1u << 7,
                     kMasterDataParityError = 1u << 8, kDevselMedium = 1u << 9, kSignaledTargetAbort = 1u << 11,
                     kReceivedTargetAbort = 1u << 12, kReceivedMasterAbort = 1u << 13, kSignaledSystemError = 1u << 14,
                     kDetectedParityError = 1u << 15;
// The error bits software clears by writing 1.
inline constexpr u16 kErrorBits = kMasterDataParityError | kSignaledTargetAbort | kReceivedTargetAbort |
                                  kReceivedMasterAbort | kSignaledSystemError | kDetectedParityError;
}  // namespace sts

inline constexpr u8 kHeaderMultiFunction = 0x80;

// Base address register low bits (PCI 3.0 §6.2.5.1).
namespace bar {
inline constexpr u32 kIo = 1u << 0, kMem64 = 2u << 1, kPrefetchable = 1u << 3;
inline constexpr u32 kIoAddressMask = ~u32(3), kMemAddressMask = ~u32(15);
}  // namespace bar

// Capability IDs (PCI Code and ID Assignment Specification).
namespace cap {
inline constexpr u8 kPowerManagement = 0x01, kMsi = 0x05, kVendorSpecific = 0x09, kPciExpress = 0x10, kMsiX = 0x11;
}

// Class codes this machine uses (base class, subclass, programming interface).
inline constexpr u32 kClassHostBridge = 0x060000, kClassIsaBridge = 0x060100;

}  // namespace vtlab::pci

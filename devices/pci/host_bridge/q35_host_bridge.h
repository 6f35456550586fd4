// The host bridge at PCI 00:00.0: the DRAM controller function of Intel's
// 82G33/Q35-family MCH, with the identity QEMU's q35 machine gives it,
// 8086:29C0. Why this one: Linux knows it (PCI_DEVICE_ID_INTEL_G33_HB) and
// treats it as a plain host bridge (class 06/00/00, no quirk, no MMCONFIG
// probe of its own, so the MCFG table is what places ECAM), and software
// written for QEMU's q35 (SeaBIOS, OVMF, test kernels) recognises the q35
// chipset by this ID. (Intel 3-series MCH datasheets give the registers.)
//
// Registers:
// - Command 0x0006: Memory Space and Bus Master read 1 and cannot be
//   cleared (the MCH always decodes memory and masters); Parity Error
//   Response and SERR# Enable are read/write; the rest read 0.
// - Status 0x0090: Fast Back-to-Back capable, Capabilities List; the error
//   bits (parity, SERR#, target and master abort) are write-1-to-clear.
// - Revision 0x02, class 06/00/00, header type 0 (single function), no
//   BARs, no interrupt pin. Subsystem IDs read 0 (no firmware wrote them).
// - Capability at 0xe0: CAPID0, vendor specific (ID 09h, length 0x0c,
//   version 1), the chipset's fuse bits; they read 0 (nothing disabled).
// - PCIEXBAR (0x60, 64 bits): the ECAM window as firmware programmed it,
//   base | length 256 buses (bits 2:1 = 00) | enable (bit 0). It is read
//   only here: the window cannot be moved or turned off (firmware that
//   writes the same value, as SeaBIOS and OVMF do, sees no difference).
// - PAM0-PAM6 (0x90-0x96): the BIOS area 0xc0000-0xfffff is RAM, read and
//   write (PAM0 0x30, PAM1-6 0x33); read only, as the area cannot be turned
//   into ROM here.
// - TOLUD (0xb0, 16 bits): bits 15:4 are bits 31:20 of the end of the RAM
//   below 4 GiB, read only (locked by firmware).
// Every other register of the device-specific space reads 0 and ignores
// writes, as do the PCI Express extended registers 0x100-0xfff.
#pragma once
#include "devices/pci/pci_device.h"

namespace vtlab {

struct Q35HostBridgeConfig {
  u64 ecam_base = 0xb0000000;  // 256 MiB aligned
  u64 low_ram_end = 0;         // RAM below 4 GiB ends here (1 MiB aligned)
};

class Q35HostBridge final : public PciDevice {
 public:
  static constexpr u16 kVendor = 0x8086, kDevice = 0x29c0;
  static constexpr u8 kRevision = 0x02;
  // Device-specific registers (Intel 3-series MCH, device 0).
  static constexpr u16 kPciexbar = 0x60, kPam0 = 0x90, kTolud = 0xb0, kCapid0 = 0xe0;
  static constexpr u8 kCapid0Length = 0x0c;

  explicit Q35HostBridge(const Q35HostBridgeConfig& config);

 private:
  // Every read-only bit of the MCH is a constant.
  void after_load() override { cfg().restore_read_only(pci::reg::kDeviceSpecific, PciConfigSpace::kSize - pci::reg::kDeviceSpecific); }
};

}  // namespace vtlab

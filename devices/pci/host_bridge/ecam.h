// PCI Express enhanced configuration access (ECAM, PCI Express Base
// Specification 4.0 §7.2.2): a memory window in which function
// bus:device.function's 4 KiB configuration space sits at offset
// bus << 20 | device << 15 | function << 12. The machine maps it at
// platform::kEcamBase for buses 0-255, where the MCFG table and the MCH's
// PCIEXBAR say it is.
// - Any access width the CPU makes (1, 2, 4, 8 bytes, aligned or not) is
//   cut at dword boundaries into configuration accesses with the bytes it
//   covers, as the root complex turns a memory request into configuration
//   requests that never cross a dword: an 8-byte read is two dword reads,
//   low dword first.
// - A function that is not there, or a bus the PciBus is not, reads all
//   ones and ignores writes.
#pragma once
#include "core/base/io.h"
#include "devices/pci/pci_bus.h"

namespace vtlab {

class PciEcam final : public MmioDevice {
 public:
  // Offsets decode as bus number first_bus + (offset >> 20).
  explicit PciEcam(PciBus& pci, u8 first_bus = 0) : pci_(pci), first_bus_(first_bus) {}

  u64 mmio_read(u64 offset, unsigned size) override;
  void mmio_write(u64 offset, unsigned size, u64 value) override;

 private:
  PciBus& pci_;
  u8 first_bus_;
};

}  // namespace vtlab

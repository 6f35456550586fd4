#include "devices/pci/host_bridge/q35_host_bridge.h"

namespace vtlab {

using namespace pci;

Q35HostBridge::Q35HostBridge(const Q35HostBridgeConfig& config) : PciDevice("Q35 host bridge (MCH)") {
  set_identity(kVendor, kDevice, kRevision, kClassHostBridge, 0);
  set_command_bits(cmd::kParityErrorResponse | cmd::kSerr, cmd::kMemorySpace | cmd::kBusMaster);
  set_status_bits(sts::kFastBackToBack, sts::kDetectedParityError | sts::kSignaledSystemError |
                                            sts::kReceivedMasterAbort | sts::kReceivedTargetAbort |
                                            sts::kMasterDataParityError);
  add_capability(kCapid0, cap::kVendorSpecific, kCapid0Length);
  cfg().init8(kCapid0 + 2, kCapid0Length);
  cfg().init8(kCapid0 + 3, 0x01);  // CAPID0 version 1
  // PCIEXBAR: bits 35:28 address, 2:1 length (00 = 256 MiB), 0 enable.
  cfg().init32(kPciexbar, u32(config.ecam_base & 0xf0000000u) | 1u);
  cfg().init32(kPciexbar + 4, u32(config.ecam_base >> 32) & 0xf);
  cfg().init8(kPam0, 0x30);  // 0xf0000-0xfffff: DRAM read/write
  for (u16 i = 1; i <= 6; ++i) cfg().init8(u16(kPam0 + i), 0x33);
  cfg().init16(kTolud, u16((config.low_ram_end >> 20) << 4));
}

}  // namespace vtlab

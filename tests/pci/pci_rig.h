// Bus 0 as the machine builds it (host bridge 00:00.0, LPC bridge 00:1f.0,
// mechanism #1 beside the reset control register, ECAM), plus a test
// function with every kind of BAR, an interrupt pin and capabilities, and
// recording stand-ins for what sits behind BARs, DMA and interrupt lines.
#pragma once
#include <array>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "core/base/port_bus.h"
#include "devices/acpi_pm/acpi_pm.h"
#include "devices/pci/host_bridge/config_ports.h"
#include "devices/pci/host_bridge/ecam.h"
#include "devices/pci/host_bridge/q35_host_bridge.h"
#include "devices/pci/lpc/ich9_lpc.h"
#include "devices/pci/pci_bus.h"
#include "devices/reset_control/reset_control.h"

namespace pci_test {

using namespace vtlab;

inline constexpr u64 kWindowBase = 0xc0000000, kWindowSize = 0x3ec00000;
inline constexpr u64 kEcamBase = 0xb0000000;

// Registers behind a BAR: each byte reads as the low byte of its offset
// plus `tag`; writes are recorded.
struct Recorder final : PortDevice, MmioDevice {
  u8 tag = 0;
  struct Access {
    u64 where;
    unsigned size;
    u64 value;
  };
  std::vector<Access> writes;
  std::vector<Access> reads;
  u64 pattern(u64 where, unsigned size) const {
    u64 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= u64(u8(where + i + tag)) << (8 * i);
    return v;
  }
  u32 port_read(u16 port, unsigned size) override {
    reads.push_back({port, size, 0});
    return u32(pattern(port, size));
  }
  void port_write(u16 port, unsigned size, u32 value) override { writes.push_back({port, size, value}); }
  u64 mmio_read(u64 offset, unsigned size) override {
    reads.push_back({offset, size, 0});
    return pattern(offset, size);
  }
  void mmio_write(u64 offset, unsigned size, u64 value) override { writes.push_back({offset, size, value}); }
};

// A function with BAR0 I/O 32 bytes, BAR1 memory 4 KiB, BAR2-3 64-bit
// prefetchable memory 1 MiB, BAR4-5 none, INTA#, a power management
// capability at 0x50 and an MSI capability at 0x60.
class TestFunction final : public PciDevice {
 public:
  static constexpr u16 kVendor = 0x1234, kDevice = 0x5678;
  Recorder io, mem, mem64;
  explicit TestFunction(u8 pin = 1, u8 header_type = 0) : PciDevice("test function") {
    set_identity(kVendor, kDevice, 0x01, 0xff0000, header_type);
    set_command_bits(pci::cmd::kIoSpace | pci::cmd::kMemorySpace | pci::cmd::kBusMaster | pci::cmd::kSerr |
                     pci::cmd::kInterruptDisable);
    set_status_bits(0, pci::sts::kReceivedMasterAbort | pci::sts::kSignaledSystemError);
    declare_bar(0, {BarKind::Io, 32, false, &io, nullptr});
    declare_bar(1, {BarKind::Mem32, 0x1000, false, nullptr, &mem});
    declare_bar(2, {BarKind::Mem64, 0x100000, true, nullptr, &mem64});
    if (pin) set_interrupt_pin(pin);
    add_capability(0x50, pci::cap::kPowerManagement, 8);
    add_capability(0x60, pci::cap::kMsi, 14);
  }
  // The configuration accesses the function saw (offset, size).
  std::vector<std::pair<u16, unsigned>> config_reads, config_writes;
  u32 read_hook(u16 offset, unsigned size, u32 value) override {
    config_reads.emplace_back(offset, size);
    return value;
  }
  void after_write(u16 offset, unsigned size) override { config_writes.emplace_back(offset, size); }
  using PciDevice::dma_read;
  using PciDevice::dma_write;
  using PciDevice::set_intx;
};

// A DmaPort that records requests and refuses addresses >= limit.
struct RecordingDma final : DmaPort {
  u64 limit = 0x10000;
  std::vector<u16> rids;
  std::vector<u8> ram = std::vector<u8>(0x10000, 0);
  bool dma_read(u16 rid, u64 addr, void* dst, u64 len) override {
    rids.push_back(rid);
    if (addr + len > limit) return false;
    std::memcpy(dst, ram.data() + addr, len);
    return true;
  }
  bool dma_write(u16 rid, u64 addr, const void* src, u64 len) override {
    rids.push_back(rid);
    if (addr + len > limit) return false;
    std::memcpy(ram.data() + addr, src, len);
    return true;
  }
};

struct PciRig {
  PortBus ports;
  RecordingDma dma;
  PciBus bus{ports, &dma, kWindowBase, kWindowSize};
  Q35HostBridge host{{kEcamBase, 128u << 20}};
  Ich9Lpc lpc;
  ResetControl reset_control;
  PciConfigPorts mech1{bus, ports};
  PciEcam ecam{bus};
  std::array<LatchedIrqLine, 16> isa{};
  std::array<LatchedIrqLine, 8> ioapic{};
  std::vector<std::optional<u16>> pm_decodes;
  int resets = 0;

  PciRig() {
    bus.add(0, 0, host);
    bus.add(31, 0, lpc);
    bus.set_pirq_router(&lpc);
    std::array<IrqLine*, 16> isa_lines{};
    for (unsigned i = 0; i < 16; ++i) isa_lines[i] = &isa[i];
    lpc.set_isa_lines(isa_lines);
    std::array<IrqLine*, 8> ioapic_lines{};
    for (unsigned i = 0; i < 8; ++i) ioapic_lines[i] = &ioapic[i];
    lpc.set_ioapic_lines(ioapic_lines);
    lpc.on_pm_decode = [this](std::optional<u16> base) { pm_decodes.push_back(base); };
    reset_control.attach(ports);
    reset_control.on_reset = [this](const char*) { ++resets; };
    mech1.attach();
  }

  // Configuration mechanism #1, as a driver uses it.
  static u32 address(unsigned b, unsigned d, unsigned f, unsigned reg) {
    return 0x80000000u | b << 16 | d << 11 | f << 8 | (reg & 0xfc);
  }
  u32 cfg_read(unsigned b, unsigned d, unsigned f, unsigned reg, unsigned size = 4) {
    ports.write(0xcf8, 4, address(b, d, f, reg));
    return ports.read(u16(0xcfc + (reg & 3)), size);
  }
  void cfg_write(unsigned b, unsigned d, unsigned f, unsigned reg, u32 value, unsigned size = 4) {
    ports.write(0xcf8, 4, address(b, d, f, reg));
    ports.write(u16(0xcfc + (reg & 3)), size, value);
  }
  // ECAM, as offsets into the window.
  static u64 ecam_offset(unsigned b, unsigned d, unsigned f, unsigned reg) {
    return u64(b) << 20 | d << 15 | f << 12 | reg;
  }
  u64 ecam_read(unsigned b, unsigned d, unsigned f, unsigned reg, unsigned size) {
    return ecam.mmio_read(ecam_offset(b, d, f, reg), size);
  }
  void ecam_write(unsigned b, unsigned d, unsigned f, unsigned reg, unsigned size, u64 value) {
    ecam.mmio_write(ecam_offset(b, d, f, reg), size, value);
  }
  // The bus's memory window by absolute address.
  u64 mem_read(u64 addr, unsigned size) { return bus.memory_window().mmio_read(addr - kWindowBase, size); }
  void mem_write(u64 addr, unsigned size, u64 value) {
    bus.memory_window().mmio_write(addr - kWindowBase, size, value);
  }
};

}  // namespace pci_test

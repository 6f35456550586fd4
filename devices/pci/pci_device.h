// The base of every PCI function on vtlab's PCI bus (docs/devices.md "PCI",
// "Adding a PCI device"). A device model derives from it and, in its
// constructor, sets up its configuration space (identity, the command bits
// it implements, capabilities, its own registers), declares its BARs with
// the register blocks behind them and its interrupt pin. The base then
// does what every function does the same way:
// - configuration reads and writes with the per-bit rules of
//   PciConfigSpace; read-only identity, header type, class code;
// - BARs: the sizing protocol (a BAR's address bits below its size are
//   read only 0, so writing all ones reads back the size mask with the
//   type bits), and decoding: the bus maps an I/O BAR's ports while the
//   Command register's I/O Space bit is set, a memory BAR's range while
//   Memory Space is set;
// - INTx: set_intx() drives the pin named by the Interrupt Pin register
//   through the bus to the interrupt router; Status bit 3 shows the pin's
//   state and Command bit 10 (Interrupt Disable) masks it;
// - DMA: dma_read/dma_write carry the function's requester id to the bus's
//   DmaPort (an IOMMU later) and fail while Bus Master Enable is clear.
#pragma once
#include <array>
#include <string>

#include "core/base/io.h"
#include "core/base/serializer.h"
#include "devices/pci/config_space.h"

namespace vtlab {

class PciBus;

enum class BarKind : u8 {
  None,
  Io,     // I/O space, 4 to 256 bytes
  Mem32,  // memory below 4 GiB
  Mem64,  // memory anywhere; takes this BAR and the next (the high dword)
};

struct PciBarSpec {
  BarKind kind = BarKind::None;
  u64 size = 0;  // a power of two: >= 4 for I/O (<= 256), >= 16 for memory
  bool prefetchable = false;
  PortDevice* io = nullptr;    // for Io: sees the absolute port, as on the PortBus
  MmioDevice* mmio = nullptr;  // for Mem32/Mem64: sees the offset from the BAR's base
};

class PciDevice {
 public:
  explicit PciDevice(std::string name) : name_(std::move(name)) {}
  virtual ~PciDevice() = default;
  PciDevice(const PciDevice&) = delete;
  PciDevice& operator=(const PciDevice&) = delete;

  const std::string& name() const { return name_; }

  // Guest configuration accesses, delivered by the bus: 1-4 bytes inside
  // one dword, offset below 4096.
  u32 config_read(u16 offset, unsigned size);
  void config_write(u16 offset, unsigned size, u32 value);

  // Power-on state: the configuration space as the constructor built it,
  // decoding off, INTx deasserted; then the device's own reset.
  void reset();
  // Configuration space, the INTx level and the device's own state. A load
  // puts the standard header's read-only bits back (they are constants), and
  // the bus then re-derives BAR decoding and INTx routing.
  void serialize(Serializer& s);

  const PciConfigSpace& config() const { return cfg_; }
  bool on_bus() const { return bus_ != nullptr; }
  u8 devfn() const { return devfn_; }
  u16 requester_id() const;
  const PciBarSpec& bar_spec(unsigned index) const { return bars_[index]; }
  // The address a BAR holds now (both dwords of a 64-bit BAR).
  u64 bar_address(unsigned index) const;
  bool intx_asserted() const { return intx_; }
  // The pin as the bus sees it: asserted and not masked by Interrupt Disable.
  bool intx_output() const;
  u8 interrupt_pin() const { return cfg_.byte(pci::reg::kInterruptPin); }

 protected:
  PciConfigSpace& cfg() { return cfg_; }

  // Set-up helpers for constructors (PCI 3.0 §6.2).
  void set_identity(u16 vendor, u16 device, u8 revision, u32 class_code, u8 header_type);
  // Which Command bits the function implements (read/write); the others
  // read 0, or 1 where `fixed_ones` says so (e.g. a host bridge's always-on
  // Memory Space and Bus Master).
  void set_command_bits(u16 writable, u16 fixed_ones = 0);
  // Status bits that are constants (DEVSEL timing, 66 MHz, fast
  // back-to-back); the error bits the function can set become R/WC.
  void set_status_bits(u16 fixed, u16 error_bits);
  void declare_bar(unsigned index, const PciBarSpec& spec);
  // Interrupt Pin 1-4 (INTA#-INTD#); Interrupt Line becomes read/write.
  void set_interrupt_pin(u8 pin);
  void add_capability(u8 offset, u8 id, u8 length) { cfg_.add_capability(offset, id, length); }

  // The device's interrupt pin (level). Ignored without an Interrupt Pin.
  void set_intx(bool asserted);
  // Bus-master DMA; false (nothing transferred) while Bus Master Enable is
  // clear, off the bus, or when the DmaPort refuses (master abort).
  bool dma_read(u64 addr, void* dst, u64 len);
  bool dma_write(u64 addr, const void* src, u64 len);

  // Device-specific behaviour. read_hook sees the value the configuration
  // space holds and may replace it (registers computed on read); after_write
  // runs once the bytes are stored (register side effects).
  virtual u32 read_hook(u16 /*offset*/, unsigned /*size*/, u32 value) { return value; }
  virtual void after_write(u16 /*offset*/, unsigned /*size*/) {}
  virtual void device_reset() {}
  virtual void device_serialize(Serializer& /*s*/) {}
  // After a snapshot load: puts back the device-specific read-only bits that
  // are constants (cfg().restore_read_only) and re-applies the effects of
  // the device's own registers (the base re-applies BARs and INTx).
  virtual void after_load() {}

 private:
  friend class PciBus;
  void note_master_abort();
  bool touches(u16 offset, unsigned size, u16 first, unsigned count) const {
    return offset < first + count && first < offset + size;
  }

  std::string name_;
  PciBus* bus_ = nullptr;
  u8 devfn_ = 0;
  PciConfigSpace cfg_;
  std::array<PciBarSpec, pci::reg::kBarCount> bars_{};
  bool intx_ = false;
};

}  // namespace vtlab

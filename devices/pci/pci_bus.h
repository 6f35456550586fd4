// PCI bus 0 of the machine, behind the host bridge (docs/devices.md "PCI").
// It holds up to 256 functions (32 devices of 8 functions) and gives:
// - configuration access for the host bridge's two mechanisms (port
//   0xcf8/0xcfc and ECAM): a function that is not there, or a bus other
//   than this one (there are no PCI-to-PCI bridges), reads all ones and
//   ignores writes, as a master abort of a configuration read does;
// - BAR decoding: an I/O BAR's ports are claimed on the PortBus while its
//   function's I/O Space bit is set (ports another device already owns stay
//   that device's); a memory BAR decodes while Memory Space is set and its
//   whole range lies in the memory window the host bridge forwards to PCI
//   (platform::kPciMmioBase .. kPciMmioEnd, the window of the DSDT's
//   _CRS); memory_window() is that window as one MmioDevice, which the
//   machine maps. Where BARs overlap, the lower devfn and BAR index wins;
//   an address in the window that no BAR decodes reads all ones;
// - INTx: pin P (1-4 = INTA#-INTD#) of device D drives PIRQ ((D + P - 1)
//   mod 4), PIRQA#-PIRQD#, on the interrupt router (the ICH9 LPC bridge),
//   the OR of every pin that drives it; the DSDT's _PRT says the same;
// - DMA: the DmaPort bus masters reach memory through.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "core/base/io.h"
#include "core/base/log.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/pci/pci_device.h"

namespace vtlab {

// Where the bus's INTx pins go: PIRQA#-PIRQH# (0-7) of the ICH9.
class PirqRouter {
 public:
  virtual ~PirqRouter() = default;
  virtual void set_pirq(unsigned pirq, bool asserted) = 0;
};

class PciBus {
 public:
  static constexpr unsigned kPirqsFromSlots = 4;  // INTx of bus 0 reaches PIRQA#-PIRQD#

  // `dma` may be null (DMA then fails as a master abort).
  PciBus(PortBus& ports, DmaPort* dma, u64 memory_base, u64 memory_size, u8 number = 0);
  PciBus(const PciBus&) = delete;
  PciBus& operator=(const PciBus&) = delete;

  // Puts `dev` at device:function and keeps its configuration space as its
  // power-on image. Throws vtlab::Error for a taken slot, a function above 0
  // without a multi-function function 0, or a device already on a bus.
  void add(unsigned device, unsigned function, PciDevice& dev);
  PciDevice* function(u8 devfn) const { return fns_[devfn]; }
  u8 number() const { return number_; }

  // Configuration access: 1-4 bytes inside one dword, offset < 4096.
  u32 config_read(u8 bus, u8 devfn, u16 offset, unsigned size);
  void config_write(u8 bus, u8 devfn, u16 offset, unsigned size, u32 value);

  MmioDevice& memory_window() { return window_; }
  u64 memory_base() const { return window_.base; }
  u64 memory_size() const { return window_.size; }

  void set_pirq_router(PirqRouter* router);
  static unsigned pirq_of(unsigned device, u8 pin) { return (device + pin - 1) % kPirqsFromSlots; }
  bool pirq_level(unsigned pirq) const { return pirq_level_[pirq]; }

  // Every function to its power-on state, decoding and INTx re-derived.
  void reset();
  // Every function in devfn order, then decoding and INTx re-derived.
  void serialize(Serializer& s);

  // What decodes now (for the debugger and tests), in priority order.
  struct Decode {
    bool io = false;
    u64 base = 0, size = 0;
    PciDevice* dev = nullptr;
    unsigned bar = 0;
  };
  const std::vector<Decode>& decodes() const { return decodes_; }

  // Accesses in the window that no BAR decodes go to the guest-errors log.
  void set_log(Log& log) { log_ = &log; }

 private:
  friend class PciDevice;

  class Window final : public MmioDevice {
   public:
    PciBus* bus = nullptr;
    u64 base = 0, size = 0;
    u64 mmio_read(u64 offset, unsigned size) override;
    void mmio_write(u64 offset, unsigned size, u64 value) override;
  };

  // A BAR register or the Command register changed: the function's
  // decoding is derived again.
  void decode_changed(PciDevice& dev);
  void intx_changed();
  DmaPort* dma() const { return dma_; }
  const Decode* memory_decode(u64 addr) const;
  u64 window_read(u64 addr, unsigned size);
  void window_write(u64 addr, unsigned size, u64 value);

  PortBus& ports_;
  DmaPort* dma_;
  u8 number_;
  Window window_;
  std::array<PciDevice*, 256> fns_{};
  std::vector<Decode> decodes_;
  PirqRouter* router_ = nullptr;
  std::array<bool, kPirqsFromSlots> pirq_level_{};
  Log* log_ = &Log::off();
};

}  // namespace vtlab

// The interfaces through which devices meet the rest of the machine.
// Devices register port ranges on a PortBus and MMIO ranges on the physical
// address space; they raise interrupts only through IrqLine and reach
// memory only through a DmaPort.
#pragma once
#include "core/base/types.h"

namespace vtlab {

// A device's I/O-port side. size is 1, 2 or 4 bytes; port is the absolute port.
class PortDevice {
 public:
  virtual ~PortDevice() = default;
  virtual u32 port_read(u16 port, unsigned size) = 0;
  virtual void port_write(u16 port, unsigned size, u32 value) = 0;
};

// A device's memory-mapped side. offset is relative to the registered base;
// size is 1, 2, 4 or 8 bytes.
class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual u64 mmio_read(u64 offset, unsigned size) = 0;
  virtual void mmio_write(u64 offset, unsigned size, u64 value) = 0;
};

// An interrupt wire. Level-style: the device states the line's level; an
// interrupt controller (when one is attached) decides what an edge means.
class IrqLine {
 public:
  virtual ~IrqLine() = default;
  virtual void set_level(bool high) = 0;
};

// A device's path to memory (DESIGN.md: every DMA goes through here, with
// the requester id bus:device.function, so an IOMMU can translate or block
// it). Addresses are bus addresses: guest-physical until an IOMMU
// translates them. A transfer either completes whole or fails whole
// (false): a range that is not all RAM (open bus, MMIO), or one the IOMMU
// blocks, leaves memory untouched, as a master abort would.
class DmaPort {
 public:
  virtual ~DmaPort() = default;
  virtual bool dma_read(u16 requester_id, u64 addr, void* dst, u64 len) = 0;
  virtual bool dma_write(u16 requester_id, u64 addr, const void* src, u64 len) = 0;
};

// A line that nothing consumes yet; remembers its level for the debugger/tests.
class LatchedIrqLine final : public IrqLine {
 public:
  void set_level(bool high) override {
    if (high && !level_) ++raised_;
    level_ = high;
  }
  bool level() const { return level_; }
  u64 times_raised() const { return raised_; }

 private:
  bool level_ = false;
  u64 raised_ = 0;
};

}  // namespace vtlab

// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0
// §3.2.2.3.2), as the Intel MCH implements it:
// - CONFIG_ADDRESS, port 0xcf8, is a dword register reached only by a
//   dword access at 0xcf8: bit 31 enables configuration cycles, bits 23:16
//   bus, 15:11 device, 10:8 function, 7:2 the register's dword. Bits 30:24
//   (reserved) and 1:0 read 0 whatever is written.
// - A byte or word access to 0xcf8-0xcfb is not a CONFIG_ADDRESS access: it
//   passes through as an ordinary I/O cycle. So a byte at 0xcf9 reaches the
//   ICH9 reset control register (devices/reset_control, which owns port
//   0xcf9), a word at 0xcf8 reads 0xff from 0xcf8 and the reset control
//   register in its high byte, and a byte written to 0xcfb leaves
//   CONFIG_ADDRESS alone (Linux's mechanism #1 probe relies on that).
//   Nothing decodes 0xcf8, 0xcfa or 0xcfb as I/O: those bytes read 0xff.
// - CONFIG_DATA, ports 0xcfc-0xcff: with the enable bit set, an access of 1,
//   2 or 4 bytes at 0xcfc + n is a configuration access to bytes n.. of
//   the addressed dword (only the first 256 bytes of a function are
//   reachable this way; ECAM reaches all 4096). With the enable bit clear
//   it passes through as I/O, which nothing decodes: reads all ones.
// - A configuration read of a function that does not exist returns all
//   ones (PciBus).
// Bytes of an access that run past 0xcff go to the port bus as bytes.
#pragma once
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/pci/pci_bus.h"

namespace vtlab {

class PciConfigPorts final : public PortDevice {
 public:
  static constexpr u16 kAddressPort = 0xcf8, kDataPort = 0xcfc;
  static constexpr u32 kEnable = 1u << 31;
  static constexpr u32 kAddressMask = kEnable | 0x00fffffc;  // bits 30:24 and 1:0 read 0

  // `ports` is the bus the mechanism sits on: pass-through cycles go there.
  PciConfigPorts(PciBus& pci, PortBus& ports) : pci_(pci), ports_(ports) {}

  // Claims 0xcf8, 0xcfa-0xcff; 0xcf9 is the reset control register's.
  void attach();
  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  u32 address() const { return address_; }
  void reset() { address_ = 0; }
  void serialize(Serializer& s);

 private:
  // One lane of a pass-through cycle: another device's port, or nothing.
  u8 pass_read(u16 port);
  void pass_write(u16 port, u8 value);
  bool enabled() const { return address_ & kEnable; }
  u8 bus() const { return u8(address_ >> 16); }
  u8 devfn() const { return u8(address_ >> 8); }
  u16 reg() const { return u16(address_ & 0xfc); }

  PciBus& pci_;
  PortBus& ports_;
  u32 address_ = 0;
};

}  // namespace vtlab

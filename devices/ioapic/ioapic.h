// An I/O APIC in the manner of Intel's 82093AA (datasheet 290566): 24
// interrupt inputs, each with a 64-bit redirection entry, reached through
// an index register (IOREGSEL, +0x00, 8 bits) and a data window (IOWIN,
// +0x10, 32 bits) in its MMIO page (platform::kIoApicBase).
//
// - Registers: 00h IOAPICID (ID in bits 27:24, read/write; the machine
//   loads the MADT's ID, as firmware does), 01h IOAPICVER (read only:
//   version 11h, maximum redirection entry 23 in bits 23:16), 02h IOAPICARB
//   (read only: the arbitration ID, equal to the ID), 10h-3Fh the
//   redirection table, two registers per entry (low dword at 10h + 2n).
//   Other indexes read 0 and ignore writes. IOREGSEL keeps bits 7:0; IOWIN
//   takes 32-bit accesses (narrower reads give its low bytes, narrower
//   writes are ignored); other offsets read 0.
// - Redirection entry (Figure "I/O Redirection Table Register"): vector
//   7:0, delivery mode 10:8 (fixed, lowest priority, SMI, NMI, INIT, ExtINT),
//   destination mode 11, delivery status 12 (read only: always idle, since a
//   message is delivered at once), polarity 13 (stored: vtlab's lines carry
//   "asserted", so an active-low pin works like an active-high one), remote
//   IRR 14 (read only), trigger mode 15, mask 16, destination 63:56
//   (an APIC ID, or a logical destination). Reset: every entry masked, the
//   rest zero.
// - Edge-triggered inputs send a message on each rising edge while
//   unmasked (an edge while masked is lost). Level-triggered inputs send one
//   while asserted, unmasked and remote IRR is clear; remote IRR is set when
//   a local APIC accepts it and cleared by a local APIC's EOI of its vector
//   (ApicBus::broadcast_eoi), after which a still-asserted input sends
//   again. Unmasking an asserted level input sends too.
// - The 82093AA has no EOI register (version 11h): the local APICs' EOI
//   broadcast is the only way to clear remote IRR.
#pragma once
#include <array>

#include "core/base/io.h"
#include "core/base/serializer.h"
#include "devices/lapic/apic_bus.h"

namespace vtlab {

struct IoApicView {
  u8 id = 0, index = 0;
  std::array<u64, 24> redirection{};
  u32 input_levels = 0;  // bit n: input n asserted
  u64 messages = 0;      // messages sent
};

class IoApic final : public MmioDevice, public EoiListener {
 public:
  static constexpr unsigned kPins = 24;
  static constexpr u32 kVersion = 0x11 | ((kPins - 1) << 16);
  // Redirection entry bits.
  static constexpr u64 kVector = 0xff, kDeliveryModeShift = 8, kLogical = 1u << 11, kDeliveryStatus = 1u << 12,
                       kPolarityLow = 1u << 13, kRemoteIrr = 1u << 14, kLevel = 1u << 15, kMasked = 1u << 16;
  static constexpr u64 kWritable = 0xff00000000000000ull | kMasked | kLevel | kPolarityLow | kLogical | 0x7ff;
  // MMIO offsets.
  static constexpr u64 kRegSel = 0x00, kWindow = 0x10;

  IoApic(ApicBus& bus, u8 id);
  IoApic(const IoApic&) = delete;
  IoApic& operator=(const IoApic&) = delete;

  // The line of input `pin` (0-23); throws vtlab::Error otherwise.
  IrqLine& input(unsigned pin);

  u64 mmio_read(u64 offset, unsigned size) override;
  void mmio_write(u64 offset, unsigned size, u64 value) override;
  void eoi(u8 vector) override;

  // Reset: entries masked, ID back to the one given at construction. Input
  // levels are kept (the devices still drive their lines).
  void reset();
  void serialize(Serializer& s);
  IoApicView view() const;

 private:
  class Input final : public IrqLine {
   public:
    IoApic* ioapic = nullptr;
    unsigned pin = 0;
    void set_level(bool high) override { ioapic->set_input(pin, high); }
  };

  void set_input(unsigned pin, bool high);
  // Sends pin's message if its entry and level call for one now.
  void service(unsigned pin);
  void send(unsigned pin);
  u32 read_register(u8 index) const;
  void write_register(u8 index, u32 value);

  ApicBus& bus_;
  u8 reset_id_;
  u8 id_ = 0;
  u8 index_ = 0;
  std::array<u64, kPins> entries_{};
  std::array<Input, kPins> inputs_{};
  u32 levels_ = 0;
  u64 messages_ = 0;
};

}  // namespace vtlab

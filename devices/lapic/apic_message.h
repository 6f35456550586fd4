// An interrupt message between APICs (SDM Vol. 3A §10.6, §10.11): what an
// IPI from the ICR, an IOAPIC redirection entry and (later) a PCI MSI carry.
// The three encode the same fields in their own layouts; each decodes into
// this one form and the ApicBus (apic_bus.h) delivers it.
#pragma once
#include "core/base/types.h"

namespace vtlab {

// Delivery modes (ICR, LVT, redirection entry and MSI data bits 10:8).
enum class DeliveryMode : u8 {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  RemoteRead = 3,  // reserved since the Pentium 4
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
};

// ICR bits 19:18.
enum class Shorthand : u8 { None = 0, Self = 1, AllIncludingSelf = 2, AllExcludingSelf = 3 };

struct ApicMessage {
  u8 vector = 0;
  DeliveryMode mode = DeliveryMode::Fixed;
  bool logical = false;  // destination mode: logical (true) or physical
  bool level = false;    // trigger mode: level (true) or edge
  bool assert = true;    // the level bit: false only in an INIT level de-assert
  Shorthand shorthand = Shorthand::None;
  // The destination: 8 bits (xAPIC ICR, IOAPIC, MSI) or 32 bits (x2APIC ICR).
  u32 destination = 0;
  bool wide = false;  // destination is an x2APIC (32-bit) destination
};

}  // namespace vtlab

#include "devices/lapic/apic_bus.h"

#include "devices/lapic/lapic.h"

namespace vtlab {

unsigned ApicBus::deliver(const ApicMessage& m, const Lapic* source) {
  auto targeted = [&](const Lapic* l) {
    switch (m.shorthand) {
      case Shorthand::Self:
        return l == source;
      case Shorthand::AllIncludingSelf:
        return true;
      case Shorthand::AllExcludingSelf:
        return l != source;
      case Shorthand::None:
        break;
    }
    return l->addressed_by(m);
  };
  if (m.mode == DeliveryMode::LowestPriority) {
    Lapic* chosen = nullptr;
    for (Lapic* l : lapics_) {
      if (!targeted(l) || !l->accepts_fixed()) continue;
      if (l->focus_checking() && l->holds_vector(m.vector)) {
        chosen = l;
        break;
      }
      if (!chosen || l->arbitration_priority() < chosen->arbitration_priority()) chosen = l;
    }
    return chosen && chosen->receive(m) ? 1 : 0;
  }
  unsigned n = 0;
  for (Lapic* l : lapics_) {
    if (targeted(l) && l->receive(m)) ++n;
  }
  return n;
}

void ApicBus::broadcast_eoi(u8 vector) {
  for (EoiListener* e : eoi_listeners_) e->eoi(vector);
}

ApicMessage ApicBus::msi_message(u64 address, u32 data) {
  // Address: destination ID in bits 19:12, redirection hint 3, destination
  // mode 2. Data: vector 7:0, delivery mode 10:8, level 14, trigger 15.
  ApicMessage m;
  m.destination = u32(address >> 12) & 0xff;
  m.logical = address & (1u << 2);
  m.vector = u8(data);
  m.mode = DeliveryMode((data >> 8) & 7);
  m.assert = data & (1u << 14);
  m.level = data & (1u << 15);
  return m;
}

}  // namespace vtlab

// The system bus between the APICs (SDM Vol. 3A §10.6, §10.11): delivers
// interrupt messages (IPIs from a local APIC's ICR, IOAPIC redirection
// entries, MSIs) to the local APICs they address, and local APICs' EOIs of
// level-triggered interrupts to the IOAPICs.
//
// - Shorthands address the sender (self), everyone, or everyone else;
//   otherwise each local APIC decides whether the destination names it
//   (Lapic::addressed_by: physical, logical flat or cluster, x2APIC).
// - Lowest priority (§10.6.2.4): one of the addressed APICs that accept
//   fixed interrupts gets it: the focus processor if one already holds the
//   vector in IRR or ISR (and has focus checking on, SVR bit 9 = 0), else
//   the one with the lowest arbitration priority (APR), ties going to the
//   lowest APIC ID. No chipset redirection, so the choice is a function of
//   the APICs' state alone: deterministic.
// - Delivery is immediate and in APIC ID order: a message changes the
//   targets' IRR (or signals their cores) before deliver() returns.
#pragma once
#include <vector>

#include "core/base/types.h"
#include "devices/lapic/apic_message.h"

namespace vtlab {

class Lapic;

// An IOAPIC hears EOIs of level-triggered vectors (§10.8.5).
class EoiListener {
 public:
  virtual ~EoiListener() = default;
  virtual void eoi(u8 vector) = 0;
};

class ApicBus {
 public:
  // Local APICs in APIC ID order.
  void attach(Lapic& lapic) { lapics_.push_back(&lapic); }
  void add_eoi_listener(EoiListener& listener) { eoi_listeners_.push_back(&listener); }

  // Delivers `m` from local APIC `source` (null: from an IOAPIC or an MSI,
  // which have no self); returns how many local APICs accepted it.
  unsigned deliver(const ApicMessage& m, const Lapic* source = nullptr);
  void broadcast_eoi(u8 vector);

  // The message a PCI MSI write of `data` to `address` (FEEx_xxxxH)
  // carries (§10.11.1, §10.11.2); deliver() it.
  static ApicMessage msi_message(u64 address, u32 data);

  size_t size() const { return lapics_.size(); }
  Lapic& lapic(size_t i) { return *lapics_.at(i); }

 private:
  std::vector<Lapic*> lapics_;
  std::vector<EoiListener*> eoi_listeners_;
};

}  // namespace vtlab

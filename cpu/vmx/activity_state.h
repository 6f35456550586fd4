// The guest activity states in VMX non-root operation (SDM Vol. 3C §25.4.2,
// §27.7.2, §26.2, §28.1): which events each state lets through. Active and
// HLT run through the ordinary event checks (events.cpp); a VM entry to
// shutdown or wait-for-SIPI parks the vCPU, which then executes nothing
// until an event this table lets through (activity_state.cpp).
#pragma once
#include "cpu/vmx/vmx.h"

namespace vtlab::vmx {

struct ActivityEvents {
  Activity state;
  const char* name;
  bool init;        // INIT: a VM exit (3); blocked (held pending) in wait-for-SIPI (§26.2)
  bool sipi;        // SIPI: a VM exit (4) with the vector; discarded in the other states (§27.7.2)
  bool nmi;         // NMI: a VM exit (0) with NMI exiting, else delivered through the guest IDT (§28.1)
  bool external;    // external interrupts: blocked in shutdown and wait-for-SIPI (§27.7.2)
  bool timer;       // the VMX-preemption timer's exit (52): not in wait-for-SIPI (§26.5.1)
  bool nmi_window;  // NMI-window exits (8): wake HLT and shutdown, not wait-for-SIPI (§27.7.6)
  bool mtf;         // MTF exits (37): blocked in shutdown and wait-for-SIPI (§28.1)
};

// Indexed by Activity.
// clang-format off
inline constexpr ActivityEvents kActivityEvents[] = {
    //  state                  name             INIT   SIPI   NMI    ext    timer  NMI-w  MTF
    {Activity::Active,      "active",        true,  false, true,  true,  true,  true,  true},
    {Activity::Hlt,         "HLT",           true,  false, true,  true,  true,  true,  true},
    {Activity::Shutdown,    "shutdown",      true,  false, true,  false, true,  true,  false},
    {Activity::WaitForSipi, "wait-for-SIPI", false, true,  false, false, false, false, false},
};
// clang-format on

inline const ActivityEvents& activity_events(Activity a) { return kActivityEvents[unsigned(a) & 3]; }

}  // namespace vtlab::vmx

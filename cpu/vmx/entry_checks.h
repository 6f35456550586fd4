// The VM-entry checks (SDM Vol. 3C ch. 27): one table, walked in the SDM's
// order, each row a condition, its section and its architected failure:
// controls -> VMfailValid(7), host state -> VMfailValid(8), guest state ->
// a VM-entry failure exit (reason 33) with the row's exit qualification.
// The MSR-load area (reason 34) is checked while it is loaded (entry.cpp).
#pragma once
#include <span>

#include "cpu/vmx/vmcs.h"

namespace vtlab {
class PhysMem;
}

namespace vtlab::vmx {

enum class CheckGroup : u8 { Controls, HostState, GuestState };

// What the checks look at: the VMCS and a few facts about the processor
// at VMLAUNCH/VMRESUME.
struct EntryContext {
  const Vmcs& v;
  PhysMem& mem;
  bool host_in_ia32e;  // the processor is in IA-32e mode now (§27.2.4)
  // Derived: the controls as they apply (secondary controls count only if
  // activated), and the guest's modes.
  u32 pin, proc, proc2, exit, entry;
  bool host64, guest64, unrestricted, v86;
  EntryContext(const Vmcs& vmcs, PhysMem& m, bool ia32e);
};

struct EntryCheck {
  const char* name;     // short, stable: tests and the debugger name checks by it
  CheckGroup group;
  const char* section;  // SDM Vol. 3C section
  bool (*ok)(const EntryContext&);
  u32 qualification;  // GuestState: the exit qualification (0, 2 PDPTEs, 3 NMI blocking, 4 link pointer)
};
std::span<const EntryCheck> entry_checks();
// An EPT pointer the processor supports (the "EPTP valid" row; VMFUNC's
// EPTP switching checks list entries the same way).
bool eptp_valid(u64 eptp);
// The first check the VMCS fails (in table order), or nullptr.
const EntryCheck* first_failed_check(const EntryContext& ctx);

}  // namespace vtlab::vmx

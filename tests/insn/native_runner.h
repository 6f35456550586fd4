// Runs a case on this machine's CPU, inside this process (user mode).
#pragma once

#include <string>

#include "tests/insn/case.h"

namespace insn {

// Executes c.bytes at kCodeBase with c.init loaded, and returns the final
// state, the changed window bytes, and the exception if the case faulted
// (caught by a signal handler and turned back into vector/error/rip).
// Not reentrant; not thread-safe (it owns fixed addresses and signal handlers).
// Throws std::runtime_error if the fixed windows cannot be mapped.
Outcome run_native(const Case& c);

// This CPU's vendor, from the CPUID leaf 0 vendor string: AMD for
// "AuthenticAMD" and "HygonGenuine" (an AMD design), Intel for every other
// string (the SDM is the reference). host_vendor_string() is the raw string.
Vendor host_vendor();
std::string host_vendor_string();

}  // namespace insn

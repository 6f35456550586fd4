// Exception vectors and the fault object that unwinds to the execution loop
// (DESIGN: a fault changes no architectural state; the loop delivers it).
#pragma once
#include "core/base/types.h"

namespace vtlab {

enum Vector : u8 {
  kDE = 0,
  kDB = 1,
  kNMI = 2,
  kBP = 3,
  kOF = 4,
  kBR = 5,
  kUD = 6,
  kNM = 7,
  kDF = 8,
  kTS = 10,
  kNP = 11,
  kSS = 12,
  kGP = 13,
  kPF = 14,
  kMF = 16,
  kAC = 17,
  kMC = 18,
  kXM = 19,
  kVE = 20,
  kCP = 21,
};

struct GuestFault {
  u8 vector;
  bool has_error;
  u32 error;
  u64 fault_address = 0;  // #PF: the linear address for CR2 (written at delivery)
  // Not an exception: an EPT-induced VM exit (Cpu::ept_fault() has the
  // record, mmu/ept.h); it unwinds the same way.
  bool ept = false;
};

// SDM Vol. 3A Table 6-5: how a second exception during delivery combines.
enum class FaultClass { Benign, Contributory, PageFault, DoubleFault };
// SDM Vol. 3A Table 6-1: what kind of event a vector is.
enum class ExceptionKind { Fault, Trap, FaultOrTrap, Abort, Interrupt };

// One row per architectural exception vector (0-21); vectors above are
// interrupts (no error code, benign).
struct ExceptionInfo {
  const char* name;
  ExceptionKind kind;
  bool error_code;  // delivery pushes an error code
  FaultClass fault_class;
};
const ExceptionInfo& exception_info(u8 vector);

// Names for messages, the debugger and traces.
const char* vector_name(u8 vector);
FaultClass fault_class(u8 vector);

}  // namespace vtlab

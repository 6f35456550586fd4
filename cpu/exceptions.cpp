#include "cpu/exceptions.h"

#include <iterator>

namespace vtlab {
namespace {

using K = ExceptionKind;
using C = FaultClass;

// SDM Vol. 3A Table 6-1 (vector, mnemonic, type, error code) and Table 6-4
// (benign / contributory / page fault classes for #DF).
constexpr ExceptionInfo kExceptions[] = {
    {"#DE", K::Fault, false, C::Contributory}, {"#DB", K::FaultOrTrap, false, C::Benign},
    {"NMI", K::Interrupt, false, C::Benign},   {"#BP", K::Trap, false, C::Benign},
    {"#OF", K::Trap, false, C::Benign},        {"#BR", K::Fault, false, C::Benign},
    {"#UD", K::Fault, false, C::Benign},       {"#NM", K::Fault, false, C::Benign},
    {"#DF", K::Abort, true, C::DoubleFault},   {"(9)", K::Fault, false, C::Benign},  // reserved since the 486
    {"#TS", K::Fault, true, C::Contributory},  {"#NP", K::Fault, true, C::Contributory},
    {"#SS", K::Fault, true, C::Contributory},  {"#GP", K::Fault, true, C::Contributory},
    {"#PF", K::Fault, true, C::PageFault},     {"(15)", K::Fault, false, C::Benign},
    {"#MF", K::Fault, false, C::Benign},       {"#AC", K::Fault, true, C::Benign},
    {"#MC", K::Abort, false, C::Benign},       {"#XM", K::Fault, false, C::Benign},
    {"#VE", K::Fault, false, C::PageFault},    {"#CP", K::Fault, true, C::Contributory},
};
constexpr ExceptionInfo kInterrupt{"INT", K::Interrupt, false, C::Benign};

}  // namespace

const ExceptionInfo& exception_info(u8 vector) {
  return vector < std::size(kExceptions) ? kExceptions[vector] : kInterrupt;
}

const char* vector_name(u8 vector) { return exception_info(vector).name; }

FaultClass fault_class(u8 vector) { return exception_info(vector).fault_class; }

}  // namespace vtlab

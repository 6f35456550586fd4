#include "cpu/exceptions.h"

namespace vtlab {

const char* vector_name(u8 vector) {
  static const char* const kNames[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "(9)",
                                       "#TS", "#NP", "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM",
                                       "#VE", "#CP"};
  return vector < sizeof kNames / sizeof *kNames ? kNames[vector] : "INT";
}

FaultClass fault_class(u8 vector) {
  switch (vector) {
    case kDE: case kTS: case kNP: case kSS: case kGP: return FaultClass::Contributory;
    case kPF: return FaultClass::PageFault;
    case kDF: return FaultClass::DoubleFault;
    default: return FaultClass::Benign;
  }
}

}  // namespace vtlab

#include "devices/fpu_error/fpu_error.h"

namespace vtlab {

void FpuError::port_write(u16 port, unsigned, u32) {
  if (port != port_) return;
  latched_ = false;
  ignne_ = true;
  drive();
}

void FpuError::assert_ferr() {
  ++errors_;
  latched_ = true;
  ignne_ = false;
  drive();
}

void FpuError::drive() {
  if (irq_) irq_->set_level(latched_);
}

void FpuError::reset() {
  latched_ = ignne_ = false;
  drive();
}

void FpuError::serialize(Serializer& s) {
  s.flag(latched_);
  s.flag(ignne_);
  s(errors_);
  if (!s.saving()) drive();
}

}  // namespace vtlab

#include "devices/fpu_error/fpu_error.h"

namespace vtlab {

void FpuError::port_write(u16 port, unsigned, u32) {
  if (port != port_) return;
  latched_ = false;
  ignne_ = ferr_;
  drive();
}

void FpuError::set_ferr(bool asserted) {
  if (asserted == ferr_) return;
  ferr_ = asserted;
  ignne_ = false;
  if (asserted) {
    ++errors_;
    latched_ = true;
  }
  drive();
}

void FpuError::drive() {
  if (irq_) irq_->set_level(latched_);
}

void FpuError::reset() {
  latched_ = ignne_ = ferr_ = false;
  drive();
}

void FpuError::serialize(Serializer& s) {
  s.flag(latched_);
  s.flag(ignne_);
  s.flag(ferr_);
  s(errors_);
  if (!s.saving()) drive();
}

}  // namespace vtlab

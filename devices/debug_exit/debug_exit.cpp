#include "devices/debug_exit/debug_exit.h"

namespace vtlab {

u32 DebugExit::port_read(u16, unsigned) { return 0; }

void DebugExit::port_write(u16, unsigned size, u32 value) {
  if (exit_request_) return;
  if (size < 4) value &= (1u << (8 * size)) - 1;
  exit_request_ = value;
  if (on_exit) on_exit(value);
}

void DebugExit::serialize(Serializer& s) {
  u8 requested = exit_request_.has_value();
  u32 value = exit_request_.value_or(0);
  s(requested);
  s(value);
  if (s.saving()) return;
  if (requested)
    exit_request_ = value;
  else
    exit_request_.reset();
}

DebugExitView DebugExit::view() const {
  DebugExitView v;
  v.base = base_;
  v.requested = exit_request_.has_value();
  v.value = exit_request_.value_or(0);
  v.host_status = v.requested ? host_exit_status(v.value) : 0;
  return v;
}

}  // namespace vtlab

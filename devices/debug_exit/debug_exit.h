// QEMU's isa-debug-exit device (hw/misc/debugexit.c): a guest writes a value
// v to the port and the run ends with host exit status (v << 1) | 1, so a
// test kernel can report pass/fail without a way to power off. Defaults as
// QEMU's x86 test setups use them: iobase 0xf4, iosize 4.
//
// Like QEMU: any access width of 1, 2 or 4 bytes at any port of the range is
// accepted and the written value is taken as is (not shifted by the port
// offset); reads return 0 (QEMU's debug_exit_read), which is also how a
// guest can tell it apart from an empty port (all ones).
//
// Unlike QEMU, the device does not end the process itself: it records the
// request, calls on_exit so the machine can stop the CPU at once, and the
// machine's run loop ends the run. The first request wins; later writes are
// ignored until reset (the run ends at the first one).
#pragma once
#include <functional>
#include <optional>

#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"

namespace vtlab {

struct DebugExitView {
  u16 base = 0;
  bool requested = false;
  u32 value = 0;        // the raw value written (valid if requested)
  int host_status = 0;  // what the host process exits with (valid if requested)
};

class DebugExit final : public PortDevice {
 public:
  static constexpr u16 kDefaultBase = 0xf4;
  static constexpr unsigned kDefaultSize = 4;

  explicit DebugExit(u16 base = kDefaultBase, unsigned size = kDefaultSize) : base_(base), size_(size) {}

  void attach(PortBus& bus) { bus.attach(base_, size_, this, "debug-exit"); }

  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // The raw value of the first write since reset, if any.
  std::optional<u32> exit_request() const { return exit_request_; }
  // The process exit status QEMU would give for a written value, as the
  // host's shell sees it: exit((v << 1) | 1) keeps the low 8 bits.
  static int host_exit_status(u32 value) { return int(((u64(value) << 1) | 1) & 0xff); }

  // Called once, from inside the port write, with the raw value.
  std::function<void(u32 value)> on_exit;

  void reset() { exit_request_.reset(); }
  void serialize(Serializer& s);
  DebugExitView view() const;

 private:
  u16 base_;
  unsigned size_;
  std::optional<u32> exit_request_;
};

}  // namespace vtlab

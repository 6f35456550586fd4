// The wires between the interrupt sources and the interrupt controllers of
// the PC (docs/devices.md "Interrupt routing"):
//
// - Each ISA IRQ line goes to its 8259 input and to the IOAPIC input the
//   platform layout gives it (platform::isa_irq_to_gsi: IRQ 0 to GSI 2);
// - the 8259 pair's INTR goes to LINT0 of the bootstrap processor's local
//   APIC (ExtINT in virtual-wire mode) and to IOAPIC input 0;
// - IRQ 0 and IRQ 8 each have two drivers, the PIT or HPET timer 0 and the
//   RTC or HPET timer 1: the HPET's legacy replacement bit chooses;
// - the xAPIC page at platform::kLapicBase is one MMIO range whose accesses
//   go to the local APIC of the vCPU that makes them.
#pragma once
#include <array>
#include <functional>
#include <vector>

#include "core/base/io.h"
#include "devices/lapic/lapic.h"
#include "devices/pic8259/dual_pic.h"

namespace vtlab {

// A line that drives several inputs (an ISA IRQ to the 8259 and the
// IOAPIC; the 8259's INTR to LINT0 and IOAPIC input 0).
class FanOutLine final : public IrqLine {
 public:
  void connect(IrqLine* input) {
    if (input) inputs_.push_back(input);
  }
  void set_level(bool high) override {
    level_ = high;
    for (IrqLine* i : inputs_) i->set_level(high);
  }
  bool level() const { return level_; }

 private:
  std::vector<IrqLine*> inputs_;
  bool level_ = false;
};

// A line with two drivers, one of which is selected: the output follows it.
class IrqMux {
 public:
  explicit IrqMux(IrqLine& output) : output_(output) {
    for (unsigned i = 0; i < 2; ++i) inputs_[i].mux = this, inputs_[i].which = i;
  }
  IrqLine& input(unsigned which) { return inputs_[which & 1]; }
  void select(unsigned which) {
    selected_ = which & 1;
    output_.set_level(inputs_[selected_].level);
  }
  unsigned selected() const { return selected_; }

 private:
  struct Input final : public IrqLine {
    IrqMux* mux = nullptr;
    unsigned which = 0;
    bool level = false;
    void set_level(bool high) override {
      level = high;
      if (mux->selected_ == which) mux->output_.set_level(high);
    }
  };
  IrqLine& output_;
  std::array<Input, 2> inputs_{};
  unsigned selected_ = 0;
};

// The processor's INTA cycles of an ExtINT interrupt, read from the 8259 pair.
class PicExtInt final : public ExtIntController {
 public:
  explicit PicExtInt(DualPic& pic) : pic_(pic) {}
  u8 acknowledge() override { return pic_.acknowledge(); }

 private:
  DualPic& pic_;
};

// The xAPIC page: the accessing vCPU's local APIC answers.
class LapicWindow final : public MmioDevice {
 public:
  explicit LapicWindow(std::function<Lapic&()> current) : current_(std::move(current)) {}
  u64 mmio_read(u64 offset, unsigned size) override { return current_().mmio_read(offset, size); }
  void mmio_write(u64 offset, unsigned size, u64 value) override { current_().mmio_write(offset, size, value); }

 private:
  std::function<Lapic&()> current_;
};

}  // namespace vtlab

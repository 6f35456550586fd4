// A hostile 64-bit guest, made from a seed: a Machine in IA-32e mode with
// 4-level paging, a GDT, an IDT and a TSS that a small builder sets up in
// guest RAM, at CPL 0 or CPL 3, then spoils on purpose (random page-table
// bits, entries pointing into MMIO, the 3-4 GiB hole, beyond RAM or back at
// their own table, huge pages; gates with non-canonical targets, wrong
// types, not present, IST indexes into a garbage TSS; broken descriptors),
// and a program that is random bytes or one of the structured storms that
// once stalled or grew vtlab (issue 5 §3-§4): self-modifying loops, REP
// string storms with huge counts to RAM, MMIO and the hole in both
// directions, exception loops in which nothing retires, INT3 and fault
// sleds entered at every byte, page-crossing instructions whose second page
// faults. Some guests also take a periodic external interrupt or run with
// the trap flag set.
//
// Same seed, same guest: everything is derived from the seed, and the
// devices the builder adds are deterministic.
#pragma once
#include <array>
#include <memory>
#include <string>

#include "core/machine/machine.h"

namespace vtlab::robustness {

enum class HostileProgram { Random, SmcStorm, RepStorm, ExceptionLoop, Int3Sled, FaultSled, PageCross, Mixed, kCount };
const char* program_name(HostileProgram p);

// A 4 KiB register file: what the guest writes it reads back (a stand-in
// for a device's MMIO page; page tables and code can live in it, too).
class ScratchMmio final : public MmioDevice {
 public:
  u64 mmio_read(u64 offset, unsigned size) override;
  void mmio_write(u64 offset, unsigned size, u64 value) override;

 private:
  std::array<u8, 4096> regs_{};
};

// Raises `vector` every `period` ticks of virtual time until acknowledged.
class PeriodicInterrupt final : public InterruptSource {
 public:
  void start(Scheduler& s, u64 period, u8 vector);
  bool has_interrupt() override { return pending_; }
  u8 acknowledge() override {
    pending_ = false;
    return vector_;
  }

 private:
  void arm(Scheduler& s);
  u64 period_ = 0;
  u8 vector_ = 0;
  bool pending_ = false;
};

class HostileLongModeGuest {
 public:
  explicit HostileLongModeGuest(u64 seed);
  Machine& machine() { return *machine_; }
  HostileProgram program() const { return program_; }
  // One line naming what the seed built (for failure messages).
  const std::string& description() const { return description_; }

 private:
  // Declared before the machine: the machine refers to them until it is gone.
  ScratchMmio mmio_[2];
  PeriodicInterrupt timer_;
  std::unique_ptr<Machine> machine_;
  HostileProgram program_ = HostileProgram::Random;
  std::string description_;
};

}  // namespace vtlab::robustness

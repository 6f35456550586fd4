// The Machine: wires CPU, memory, port bus, scheduler and devices together,
// applies a BootImage and runs. Front ends (CLI, tests, later the debugger)
// drive a Machine; nothing below knows about it.
#pragma once
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "core/base/input.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/machine/boot_image.h"
#include "core/machine/phys_mem_dma.h"
#include "cpu/cpu.h"
#include "devices/debug_exit/debug_exit.h"
#include "devices/fw_cfg/fw_cfg.h"
#include "devices/uart16550/byte_sink.h"
#include "devices/uart16550/uart16550.h"
#include "mmu/phys_mem.h"

namespace vtlab {

struct MachineConfig {
  u64 ram_bytes = 256ull << 20;
  // vCPUs the firmware tables (MADT, fw_cfg) describe; only vCPU 0 runs
  // until SMP exists (the CLI refuses more than 1).
  unsigned cpus = 1;
  ByteSink* serial_out = nullptr;  // COM1 output (null: discarded)
  ByteInput* serial_in = nullptr;  // COM1 input (null: none)
  // Set by a signal handler to the signal's number (SIGINT, SIGTERM): the
  // run ends at the end of the current slice. Null: runs are not stopped.
  const std::atomic<int>* stop_signal = nullptr;
  // Machine::run puts state_hash() into its result (a scan of the host's
  // page map, about 1 ms per GiB of RAM, plus the pages the guest touched).
  // Something that runs a few instructions at a time can turn it off.
  bool hash_at_end = true;
};

// Why a run ended.
enum class RunEnd {
  DebugExit,    // the guest wrote to the debug-exit port
  InsnLimit,    // --max-insns reached
  Halted,       // HLT that nothing can end (interrupts off, or no events)
  TripleFault,  // shutdown; like QEMU's -no-reboot, the run ends
  Unsupported,  // the guest used something vtlab does not implement yet
  Signal,       // the host asked vtlab to stop (MachineConfig::stop_signal)
  HostIoError,  // the serial output or input failed on the host (a full disk, ...)
};

struct RunResult {
  RunEnd end = RunEnd::InsnLimit;
  u32 exit_value = 0;             // DebugExit: the value written
  int signal = 0;                 // Signal: its number
  u64 instructions = 0;           // retired
  std::optional<u64> state_hash;  // Machine::state_hash() where the run ended (if MachineConfig::hash_at_end)
  std::string detail;             // human-readable cause
  std::string note;               // e.g. an unimplemented instruction met on the way
  // What the vtlab process exits with: (v << 1) | 1 for a debug exit (as
  // QEMU's isa-debug-exit), 0 for a limit or halt, 2 a host I/O error,
  // 3 triple fault, 4 unsupported, 128 + n for signal n (as shells report).
  int host_status() const;
  std::string summary() const;
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();

  void load(const BootImage& image);
  // Runs until the guest ends the run, `max_instructions` have passed (in
  // virtual time), a host I/O error or a stop signal. The CPU runs in slices
  // of kSlice instructions; between slices the serial output is flushed and
  // the host side is checked.
  RunResult run(std::optional<u64> max_instructions = std::nullopt);
  static constexpr u64 kSlice = u64(1) << 20;

  // A hash of the architectural CPU state and all of guest RAM: equal
  // hashes after equal instruction counts prove a deterministic run.
  u64 state_hash() const;

  Cpu& cpu() { return *cpu_; }
  PhysMem& memory() { return *mem_; }
  PortBus& ports() { return ports_; }
  Scheduler& scheduler() { return sched_; }
  Uart16550& com1() { return *com1_; }
  FwCfg& fw_cfg() { return *fw_cfg_; }
  // The diagnostic log (off until enabled): `vtlab run --log`.
  Log& log() { return log_; }

 private:
  void enter_protected32(const BootImage& image);
  void enter_real16(const BootImage& image);
  void enter_long64(const BootImage& image);
  // Why the run must end now, between slices (host I/O, signal), if it must.
  std::optional<RunEnd> host_stop(RunResult& r) const;
  // A triple fault's first event, with its instruction disassembled.
  std::string chain_start_text();

  MachineConfig config_;
  Log log_;  // before the parts that point to it
  Scheduler sched_;
  PortBus ports_;
  std::unique_ptr<PhysMem> mem_;
  std::unique_ptr<Cpu> cpu_;
  LatchedIrqLine com1_irq_;  // no interrupt controller yet: the level is kept for the debugger
  std::unique_ptr<Uart16550> com1_;
  DebugExit debug_exit_;
  // Firmware: fw_cfg, filled with the ACPI tables and the rest at load().
  std::unique_ptr<PhysMemDma> dma_;
  std::unique_ptr<FwCfg> fw_cfg_;
};

}  // namespace vtlab

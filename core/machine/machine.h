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
#include "core/machine/interrupt_wiring.h"
#include "core/machine/phys_mem_dma.h"
#include "core/machine/vcpu.h"
#include "core/machine/vcpu_scheduler.h"
#include "cpu/cpu.h"
#include "cpu/x87/error_pins.h"
#include "devices/acpi_pm/acpi_pm.h"
#include "devices/debug_exit/debug_exit.h"
#include "devices/fpu_error/fpu_error.h"
#include "devices/fw_cfg/fw_cfg.h"
#include "devices/hpet/hpet.h"
#include "devices/i8042/i8042.h"
#include "devices/ioapic/ioapic.h"
#include "devices/lapic/apic_bus.h"
#include "devices/pci/host_bridge/config_ports.h"
#include "devices/pci/host_bridge/ecam.h"
#include "devices/pci/host_bridge/q35_host_bridge.h"
#include "devices/pci/lpc/ich9_lpc.h"
#include "devices/pci/pci_bus.h"
#include "devices/pic8259/dual_pic.h"
#include "devices/pit8254/pit8254.h"
#include "devices/pit8254/system_control_b.h"
#include "devices/reset_control/reset_control.h"
#include "devices/rtc_cmos/rtc_cmos.h"
#include "devices/uart16550/byte_sink.h"
#include "devices/uart16550/uart16550.h"
#include "mmu/phys_mem.h"

namespace vtlab {

// What a reset of the machine does (the guest's reset through port 0x92,
// 0xcf9 or the i8042, or a triple fault): stop the run and report it (the
// default, as QEMU's -no-reboot), or reset the machine and run on.
enum class ResetAction { Stop, Reset };

struct MachineConfig {
  u64 ram_bytes = 256ull << 20;
  // vCPUs, 1 to platform::kMaxCpus: vCPU 0 boots, the others wait for a
  // start-up IPI (docs/smp.md). The firmware tables (MADT, fw_cfg) describe
  // them all.
  unsigned cpus = 1;
  // With several vCPUs, each runs in turn for this many ticks of virtual
  // time (docs/smp.md).
  u64 smp_quantum = VcpuScheduler::kDefaultQuantum;
  ByteSink* serial_out = nullptr;  // COM1 output (null: discarded)
  ByteInput* serial_in = nullptr;  // COM1 input (null: none)
  // The RTC's time at power-on (input interface). Null: a fixed moment,
  // kDefaultRtcEpoch (core/base/wall_clock.h), so runs do not depend on the
  // host's clock.
  WallClock* wall_clock = nullptr;
  ResetAction on_reset = ResetAction::Stop;
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
  TripleFault,  // shutdown; like QEMU's -no-reboot, the run ends (ResetAction::Stop)
  Reset,        // the guest reset the machine (port 0x92, 0xcf9, i8042) and ResetAction::Stop
  PowerOff,     // the guest entered ACPI S5 (poweroff)
  Unsupported,  // the guest used something vtlab does not implement yet
  Signal,       // the host asked vtlab to stop (MachineConfig::stop_signal)
  HostIoError,  // the serial output or input failed on the host (a full disk, ...)
};

struct RunResult {
  RunEnd end = RunEnd::InsnLimit;
  u32 exit_value = 0;             // DebugExit: the value written
  int signal = 0;                 // Signal: its number
  u64 instructions = 0;           // retired, by all vCPUs together
  std::optional<u64> state_hash;  // Machine::state_hash() where the run ended (if MachineConfig::hash_at_end)
  std::string detail;             // human-readable cause
  u64 resets = 0;                 // machine resets done on the way (ResetAction::Reset)
  std::string note;               // e.g. an unimplemented instruction met on the way
  // What the vtlab process exits with: (v << 1) | 1 for a debug exit (as
  // QEMU's isa-debug-exit), 0 for a limit, halt, ACPI poweroff or a reset
  // the guest asked for (as QEMU -no-reboot), 2 a host I/O error, 3 triple
  // fault, 4 unsupported, 128 + n for signal n (as shells report).
  int host_status() const;
  std::string summary() const;
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();

  void load(const BootImage& image);
  // Runs until the guest ends the run, `max_instructions` ticks of virtual
  // time have passed (shared by all vCPUs: docs/smp.md), a host I/O error
  // or a stop signal. The vCPUs run in slices of kSlice ticks; between
  // slices the serial output is flushed and the host side is checked.
  RunResult run(std::optional<u64> max_instructions = std::nullopt);
  static constexpr u64 kSlice = u64(1) << 20;

  // A hash of the architectural state of every vCPU, all of guest RAM and
  // the devices' registers: equal hashes after equal instruction counts
  // prove a deterministic run.
  u64 state_hash() const;

  // vCPU 0, the bootstrap processor.
  Cpu& cpu() { return vcpus_[0]->cpu(); }
  Cpu& cpu(unsigned i) { return vcpus_.at(i)->cpu(); }
  unsigned cpu_count() const { return unsigned(vcpus_.size()); }
  Vcpu& vcpu(unsigned i) { return *vcpus_.at(i); }
  Lapic& lapic(unsigned i) { return vcpus_.at(i)->lapic(); }
  // Virtual time in ticks (every vCPU's icount() is this between runs).
  u64 now() const { return vcpu_sched_->now(); }
  VcpuScheduler& vcpu_scheduler() { return *vcpu_sched_; }
  PhysMem& memory() { return *mem_; }
  PortBus& ports() { return ports_; }
  Scheduler& scheduler() { return sched_; }
  Uart16550& com1() { return *com1_; }
  // The legacy chipset (docs/devices.md), for tests and the debugger.
  DualPic& pic() { return pic_; }
  Pit8254& pit() { return *pit_; }
  SystemControlB& port61() { return *port61_; }
  RtcCmos& rtc() { return *rtc_; }
  I8042& i8042() { return *i8042_; }
  ResetControl& reset_control() { return reset_control_; }
  AcpiPm& acpi_pm() { return *acpi_pm_; }
  IoApic& ioapic() { return *ioapic_; }
  Hpet& hpet() { return *hpet_; }
  ApicBus& apic_bus() { return apic_bus_; }
  FpuError& fpu_error() { return *fpu_error_; }
  FwCfg& fw_cfg() { return *fw_cfg_; }
  // PCI (docs/devices.md "PCI"): bus 0, the host bridge 00:00.0 with its
  // configuration mechanisms, the LPC bridge 00:1f.0.
  PciBus& pci() { return *pci_; }
  Q35HostBridge& host_bridge() { return *host_bridge_; }
  Ich9Lpc& lpc() { return *lpc_; }
  PciConfigPorts& pci_config_ports() { return *pci_ports_; }
  // The diagnostic log (off until enabled): `vtlab run --log`.
  Log& log() { return log_; }

 private:
  // The CPU's FERR#/IGNNE# pins (CR0.NE=0 x87 error reporting) wired to the
  // chipset's x87 error latch: FERR# -> IRQ 13, port 0xf0 -> IGNNE#.
  class X87ErrorWire final : public X87ErrorPins {
   public:
    explicit X87ErrorWire(FpuError& latch) : latch_(latch) {}
    void ferr(bool asserted) override { latch_.set_ferr(asserted); }
    bool ignne() const override { return latch_.ignne(); }

   private:
    FpuError& latch_;
  };

  void apply_image(const BootImage& image);
  void enter_protected32(const BootImage& image);
  void enter_real16(const BootImage& image);
  // What a PC's firmware leaves in the chipset before it starts the OS.
  void chipset_setup();
  void wire_chipset();
  // The interrupt controllers: the ISA lines to the 8259 pair and the
  // IOAPIC, the 8259's INTR to LINT0, the HPET's outputs.
  void wire_interrupts();
  // What firmware leaves in the local APICs and the IOAPIC (virtual wire).
  void apic_setup();
  // The vCPU executing now (whose local APIC the xAPIC page shows).
  Vcpu& current_vcpu() { return *vcpus_[vcpu_sched_->current()]; }
  // ISA IRQ line `irq` as devices drive it (to the 8259 and the IOAPIC).
  IrqLine& isa_irq(unsigned irq) { return isa_irqs_.at(irq); }
  void wire_pci();
  // A reset the guest asked for; the run loop acts on it between slices.
  void request_reset(std::string why);
  // ResetAction::Reset: devices and CPU to their reset state, the boot
  // image loaded and entered again.
  void reset_machine();
  void enter_long64(const BootImage& image);
  // Why the run must end now, between slices (host I/O, signal), if it must.
  std::optional<RunEnd> host_stop(RunResult& r) const;
  // A triple fault's first event, with its instruction disassembled.
  std::string chain_start_text(Cpu& cpu);

  MachineConfig config_;
  Log log_;  // before the parts that point to it
  Scheduler sched_;
  PortBus ports_;
  std::unique_ptr<PhysMem> mem_;
  ApicBus apic_bus_;
  std::vector<std::unique_ptr<Vcpu>> vcpus_;
  std::unique_ptr<VcpuScheduler> vcpu_sched_;
  LapicWindow lapic_window_{[this]() -> Lapic& { return current_vcpu().lapic(); }};
  std::unique_ptr<IoApic> ioapic_;
  DualPic pic_;
  PicExtInt pic_extint_{pic_};
  FanOutLine pic_intr_;                    // the 8259 pair's INTR output
  std::array<FanOutLine, 16> isa_irqs_{};  // IRQ n -> 8259 input n and its IOAPIC input
  IrqMux irq0_mux_{isa_irqs_[0]};          // the PIT or HPET timer 0
  IrqMux irq8_mux_{isa_irqs_[8]};          // the RTC or HPET timer 1
  std::unique_ptr<Hpet> hpet_;
  std::unique_ptr<Pit8254> pit_;
  std::unique_ptr<SystemControlB> port61_;
  std::unique_ptr<RtcCmos> rtc_;
  std::unique_ptr<I8042> i8042_;
  ResetControl reset_control_;
  // Bus masters reach RAM through dma_ (an IOMMU later).
  std::unique_ptr<PhysMemDma> dma_;
  std::unique_ptr<PciBus> pci_;
  std::unique_ptr<Q35HostBridge> host_bridge_;
  std::unique_ptr<Ich9Lpc> lpc_;
  std::unique_ptr<PciConfigPorts> pci_ports_;
  std::unique_ptr<PciEcam> ecam_;
  std::unique_ptr<AcpiPm> acpi_pm_;
  std::unique_ptr<FpuError> fpu_error_;
  std::unique_ptr<X87ErrorWire> x87_error_wire_;
  std::unique_ptr<Uart16550> com1_;
  DebugExit debug_exit_;
  std::optional<BootImage> boot_image_;       // kept for ResetAction::Reset
  std::optional<std::string> reset_request_;  // why the guest reset the machine
  bool powered_off_ = false;
  u64 resets_ = 0;
  // Firmware: fw_cfg, filled with the ACPI tables and the rest at load().
  std::unique_ptr<FwCfg> fw_cfg_;
};

}  // namespace vtlab

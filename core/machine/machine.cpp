#include "core/machine/machine.h"

#include <array>
#include <csignal>
#include <cstdio>
#include <vector>

#include "core/base/disasm.h"
#include "core/base/error.h"
#include "core/base/hash.h"
#include "core/base/wall_clock.h"
#include "core/machine/code_peek.h"
#include "core/machine/firmware/feature_control_setup.h"
#include "core/machine/firmware/firmware_setup.h"
#include "core/machine/firmware/mtrr_setup.h"
#include "core/machine/platform_layout.h"
#include "core/machine/ram_hash.h"
#include "cpu/cpuid_table.h"
#include "cpu/decoder.h"

namespace vtlab {

namespace {

// "SIGINT" for the signals a user sends to end a run; the number otherwise.
std::string signal_name(int signo) {
  switch (signo) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGQUIT:
      return "SIGQUIT";
    default:
      return "signal " + std::to_string(signo);
  }
}

std::string hex(u64 v) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(v));
  return text;
}

std::string hex16(u64 v) {
  char text[24];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(v));
  return text;
}

}  // namespace

int RunResult::host_status() const {
  switch (end) {
    case RunEnd::DebugExit:
      return DebugExit::host_exit_status(exit_value);
    case RunEnd::InsnLimit:
    case RunEnd::Halted:
    case RunEnd::Reset:
    case RunEnd::PowerOff:
      return 0;
    case RunEnd::HostIoError:
      return 2;
    case RunEnd::TripleFault:
      return 3;
    case RunEnd::Unsupported:
      return 4;
    case RunEnd::Signal:
      return 128 + signal;
  }
  return 4;
}

std::string RunResult::summary() const {
  std::string s = "vtlab: " + std::to_string(instructions) + " instructions retired, ";
  switch (end) {
    case RunEnd::DebugExit:
      s += "debug-exit code " + std::to_string(exit_value);
      break;
    case RunEnd::InsnLimit:
      s += "instruction limit reached";
      break;
    case RunEnd::Halted:
      s += "halted (" + detail + ")";
      break;
    case RunEnd::TripleFault:
      s += detail;
      break;
    case RunEnd::Reset:
      s += "the guest reset the machine through " + detail + " (stopped: --on-reset stop)";
      break;
    case RunEnd::PowerOff:
      s += "powered off (ACPI S5)";
      break;
    case RunEnd::Unsupported:
      s += "stopped: " + detail;
      break;
    case RunEnd::Signal:
      s += "ended by " + signal_name(signal);
      break;
    case RunEnd::HostIoError:
      s += "stopped: " + detail;
      break;
  }
  if (resets) s += ", after " + std::to_string(resets) + (resets == 1 ? " machine reset" : " machine resets");
  if (state_hash) s += ", state hash " + hex16(*state_hash);
  if (!note.empty() && end != RunEnd::DebugExit) s += "; note: " + note;
  return s;
}

Machine::Machine(const MachineConfig& config) : config_(config) {
  if (config.cpus == 0 || config.cpus > platform::kMaxCpus)
    throw Error("a machine has 1 to " + std::to_string(platform::kMaxCpus) + " vCPUs, not " +
                std::to_string(config.cpus));
  mem_ = std::make_unique<PhysMem>(config.ram_bytes);
  // vCPU n has initial APIC ID n (the MADT says so); vCPU 0 boots.
  for (unsigned i = 0; i < config.cpus; ++i) {
    vcpus_.push_back(std::make_unique<Vcpu>(i, config.cpus, *mem_, ports_, sched_, apic_bus_, kCrystalHz));
    Vcpu& v = *vcpus_.back();
    apic_bus_.attach(v.lapic());
    v.lapic().set_extint(&pic_extint_);
    v.cpu().set_halt_yields(true);  // the vCPU scheduler decides how halted time passes
    v.on_bsp_init = [this] { request_reset("an INIT IPI to the bootstrap processor"); };
  }
  vcpu_sched_ = std::make_unique<VcpuScheduler>(vcpus_, sched_, config.smp_quantum);
  ioapic_ = std::make_unique<IoApic>(apic_bus_, platform::ioapic_id(config.cpus));
  HpetConfig hpet;
  hpet.id = platform::kHpetEventTimerBlockId;
  hpet.clock_hz = platform::kHpetClockHz;
  std::copy(std::begin(platform::kHpetRouteCap), std::end(platform::kHpetRouteCap), hpet.route_cap.begin());
  hpet_ = std::make_unique<Hpet>(sched_, hpet);
  wire_interrupts();
  FixedWallClock default_clock;
  WallClock& clock = config.wall_clock ? *config.wall_clock : default_clock;
  pit_ = std::make_unique<Pit8254>(sched_, &irq0_mux_.input(0));
  port61_ = std::make_unique<SystemControlB>(*pit_);
  rtc_ = std::make_unique<RtcCmos>(sched_, &irq8_mux_.input(0), clock.unix_seconds());
  i8042_ = std::make_unique<I8042>(&isa_irq(platform::kIrqKeyboard), &isa_irq(platform::kIrqMouse));
  dma_ = std::make_unique<PhysMemDma>(*mem_);
  pci_ = std::make_unique<PciBus>(ports_, dma_.get(), platform::kPciMmioBase,
                                  platform::kPciMmioEnd - platform::kPciMmioBase);
  host_bridge_ =
      std::make_unique<Q35HostBridge>(Q35HostBridgeConfig{platform::kEcamBase, low_ram_end(config.ram_bytes)});
  lpc_ = std::make_unique<Ich9Lpc>();
  pci_ports_ = std::make_unique<PciConfigPorts>(*pci_, ports_);
  ecam_ = std::make_unique<PciEcam>(*pci_, platform::kEcamFirstBus);
  // The SCI reaches the 8259 through the LPC bridge's SCI_IRQ_SEL.
  acpi_pm_ = std::make_unique<AcpiPm>(sched_, &lpc_->sci_input(), AcpiPmConfig{platform::kPmBase, platform::kSlpTypS5});
  fpu_error_ = std::make_unique<FpuError>(&isa_irq(platform::kIrqFpuError));
  x87_error_wire_ = std::make_unique<X87ErrorWire>(*fpu_error_);
  com1_ = std::make_unique<Uart16550>(sched_, &isa_irq(platform::kIrqCom1), config.serial_out, config.serial_in);
  fw_cfg_ = std::make_unique<FwCfg>(dma_.get(), platform::kLpcRequesterId);
  wire_chipset();
  log_.set_place_source([this] {
    Cpu& c = current_vcpu().cpu();
    return Log::Place{c.instructions_now(), c.rip};
  });
  ports_.set_log(log_);
  mem_->set_log(log_);
  pci_->set_log(log_);
  for (auto& v : vcpus_) v->cpu().set_log(log_);
  if (config.serial_out) config.serial_out->on_failure = [this] { current_vcpu().cpu().request_stop(); };
  if (config.serial_in) config.serial_in->bind_clock(sched_);
  chipset_setup();
  apic_setup();
}

// Interrupt routing (interrupt_wiring.h): ISA lines to the 8259 pair and
// the IOAPIC as platform_layout.h says, the 8259's INTR to the BSP's LINT0
// and IOAPIC input 0, the HPET's outputs.
void Machine::wire_interrupts() {
  for (unsigned irq = 0; irq < isa_irqs_.size(); ++irq) {
    if (irq == platform::kIrqCascade) continue;  // the slave's INTR, inside the pair
    isa_irqs_[irq].connect(&pic_.input(irq));
    isa_irqs_[irq].connect(&ioapic_->input(platform::isa_irq_to_gsi(irq)));
  }
  pic_intr_.connect(&vcpus_[0]->lapic().lint(0));
  pic_intr_.connect(&ioapic_->input(platform::kGsiPicIntr));
  pic_.set_intr_output(&pic_intr_);
  hpet_->set_legacy_lines(&irq0_mux_.input(1), &irq8_mux_.input(1));
  for (unsigned gsi = 0; gsi < platform::kIoApicPins; ++gsi) hpet_->set_route_line(gsi, &ioapic_->input(gsi));
  // Legacy replacement takes IRQ 0 from the PIT and IRQ 8 from the RTC.
  hpet_->on_legacy_change = [this](bool on) {
    irq0_mux_.select(on ? 1 : 0);
    irq8_mux_.select(on ? 1 : 0);
  };
  mem_->map_mmio(platform::kLapicBase, platform::kLapicSize, &lapic_window_, "local APIC");
  mem_->map_mmio(platform::kIoApicBase, platform::kIoApicSize, ioapic_.get(), "IOAPIC");
  mem_->map_mmio(platform::kHpetBase, platform::kHpetSize, hpet_.get(), "HPET");
}

// What PC firmware leaves in the APICs before the OS starts (as SeaBIOS
// does; MP specification 1.4 §3.6.2.2, virtual-wire mode): the bootstrap
// processor's local APIC software enabled, LINT0 passing the 8259's INTR
// (ExtINT), LINT1 taking NMI; the application processors' APICs at their
// reset values; the IOAPIC's ID the MADT's (its constructor's) and every
// entry masked.
void Machine::apic_setup() {
  Lapic& bsp = vcpus_[0]->lapic();
  if (!bsp.xapic_mode()) return;
  bsp.mmio_write(u64(lapic::kSvr) << 4, 4, lapic::kSvrReset | lapic::kSvrEnable);
  bsp.mmio_write(u64(lapic::kLvtLint0) << 4, 4, u32(DeliveryMode::ExtInt) << lapic::kLvtDeliveryModeShift);
  bsp.mmio_write(u64(lapic::kLvtLint1) << 4, 4, u32(DeliveryMode::Nmi) << lapic::kLvtDeliveryModeShift);
}

// Ports and lines as platform_layout.h gives them (docs/devices.md).
void Machine::wire_chipset() {
  pic_.attach(ports_);
  pit_->attach(ports_);
  port61_->attach(ports_);
  rtc_->attach(ports_);
  i8042_->attach(ports_);
  reset_control_.attach(ports_);
  fpu_error_->attach(ports_);
  com1_->attach(ports_);
  debug_exit_.attach(ports_);
  fw_cfg_->attach(ports_);
  wire_pci();
  for (auto& v : vcpus_) v->cpu().set_x87_error_pins(x87_error_wire_.get());  // FERR# of every vCPU, OR-ed
  debug_exit_.on_exit = [this](u32) { current_vcpu().cpu().request_stop(); };
  i8042_->on_reset = [this](const char* what) { request_reset(what); };
  reset_control_.on_reset = [this](const char* what) { request_reset(what); };
  acpi_pm_->on_power_off = [this] {
    powered_off_ = true;
    current_vcpu().cpu().request_stop();
  };
}

// PCI bus 0 (docs/devices.md "PCI"): the host bridge's two configuration
// mechanisms, its memory window, the LPC bridge routing PIRQs and the SCI
// to the 8259 inputs and placing the ACPI PM block where PMBASE says.
void Machine::wire_pci() {
  static_assert(platform::kPciConfigAddress == PciConfigPorts::kAddressPort &&
                platform::kPciConfigData == PciConfigPorts::kDataPort);
  static_assert(platform::kLpcRequesterId == pci::requester_id(0, pci::devfn(platform::kLpcDevice, 0)));
  pci_->add(platform::kHostBridgeDevice, 0, *host_bridge_);
  pci_->add(platform::kLpcDevice, 0, *lpc_);
  pci_->set_pirq_router(lpc_.get());
  // The LPC bridge's ISA outputs (the SCI, PIRQs routed to an IRQ) are ISA
  // lines like the devices': to the 8259 and the IOAPIC. PIRQ A-H also go
  // to IOAPIC inputs 16-23 (ICH9).
  std::array<IrqLine*, Ich9Lpc::kIsaIrqs> isa{};
  for (unsigned irq = 0; irq < isa.size(); ++irq)
    if (irq != platform::kIrqCascade) isa[irq] = &isa_irq(irq);
  lpc_->set_isa_lines(isa);
  std::array<IrqLine*, Ich9Lpc::kPirqs> pirq_gsi{};
  for (unsigned x = 0; x < pirq_gsi.size(); ++x) pirq_gsi[x] = &ioapic_->input(Ich9Lpc::kIoApicFirstGsi + x);
  lpc_->set_ioapic_lines(pirq_gsi);
  lpc_->on_pm_decode = [this](std::optional<u16> base) { acpi_pm_->relocate(ports_, base); };
  pci_ports_->attach();
  mem_->map_mmio(platform::kEcamBase, platform::kEcamSize, ecam_.get(), "PCI ECAM");
  mem_->map_mmio(platform::kPciMmioBase, platform::kPciMmioEnd - platform::kPciMmioBase, &pci_->memory_window(),
                 "PCI memory window");
}

// vtlab has no BIOS; the machine does what one would have done to the
// chipset before the OS starts: the SCI's IRQ 9 is level triggered (ELCR),
// and CMOS holds the memory sizes in the PC/AT layout (base memory at
// 0x15, extended memory in KiB at 0x17 and 0x30, memory above 16 MiB in
// 64 KiB units at 0x34, above 4 GiB at 0x5b); the LPC bridge decodes the
// ACPI PM block at PMBASE with the SCI on IRQ 9 (SCI_IRQ_SEL 0). PIRQs stay
// unrouted: the OS routes them through the DSDT's link devices.
void Machine::chipset_setup() {
  ports_.write(platform::kElcr + 1, 1, 1u << (platform::kIrqSci - 8));
  static_assert(platform::kSciInterrupt == 9, "SCI_IRQ_SEL 0 is IRQ 9");
  const u8 lpc = pci::devfn(platform::kLpcDevice, 0);
  pci_->config_write(0, lpc, Ich9Lpc::kPmBase, 4, platform::kPmBase);
  pci_->config_write(0, lpc, Ich9Lpc::kAcpiCntl, 1, Ich9Lpc::kAcpiEn);
  auto word = [this](u8 index, u64 value, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) rtc_->set_nvram(u8(index + i), u8(value >> (8 * i)));
  };
  const u64 below_4g = std::min<u64>(config_.ram_bytes, PhysMem::kHoleStart);
  const u64 above_4g = config_.ram_bytes - below_4g;
  const u64 extended_kib = below_4g > (1u << 20) ? std::min<u64>((below_4g >> 10) - 1024, 0xffff) : 0;
  word(0x15, 640, 2);
  word(0x17, extended_kib, 2);
  word(0x30, extended_kib, 2);
  word(0x34, below_4g > (16u << 20) ? std::min<u64>((below_4g - (16u << 20)) >> 16, 0xffff) : 0, 2);
  word(0x5b, std::min<u64>(above_4g >> 16, 0xffffff), 3);
}

Machine::~Machine() {
  com1_->flush_output();
  if (config_.serial_out) config_.serial_out->on_failure = nullptr;  // the sink may outlive us
}

void Machine::request_reset(std::string why) {
  if (!reset_request_) reset_request_ = std::move(why);
  current_vcpu().cpu().request_stop();
}

void Machine::load(const BootImage& image) {
  apply_image(image);
  if (config_.on_reset == ResetAction::Reset) boot_image_ = image;
}

void Machine::apply_image(const BootImage& image) {
  static const std::vector<u8> kZeros(4096, 0);
  for (const BootBlob& b : image.blobs) {
    const u64 len = b.bytes.size() + b.zero_fill;
    if (len < b.zero_fill || !mem_->is_ram(b.addr, len))
      throw Error(b.what + " does not fit in guest RAM (" + std::to_string(len) + " bytes at " +
                  std::to_string(b.addr) + ")");
    mem_->write_block(b.addr, b.bytes.data(), b.bytes.size());
    for (u64 off = 0; off < b.zero_fill; off += kZeros.size())
      mem_->write_block(b.addr + b.bytes.size() + off, kZeros.data(), std::min<u64>(kZeros.size(), b.zero_fill - off));
  }
  install_firmware({config_.ram_bytes, config_.cpus, sched_.insns_per_us()}, image, *mem_, *fw_cfg_);
  for (auto& v : vcpus_) {
    v->reset();
    program_boot_mtrrs(v->cpu());    // firmware programs every processor's MTRRs alike
    lock_feature_control(v->cpu());  // and locks IA32_FEATURE_CONTROL with VMX enabled
  }
  vcpu_sched_->reset();
  apic_setup();
  fw_cfg_->reset();
  switch (image.mode) {
    case StartMode::Real16:
      enter_real16(image);
      break;
    case StartMode::Protected32:
      enter_protected32(image);
      break;
    case StartMode::Long64:
      enter_long64(image);
      break;
  }
}

// A reset takes virtual time: one tick per 8 bytes of the image copied back
// into RAM (plus 1000), as firmware copying at 8 bytes per virtual
// nanosecond would. So a guest that resets in a loop still costs the host
// a bounded time per tick.
void Machine::reset_machine() {
  ++resets_;
  reset_request_.reset();
  pic_.reset();
  pit_->reset();
  port61_->reset();
  rtc_->reset();
  i8042_->reset();
  reset_control_.reset();
  pci_ports_->reset();
  pci_->reset();
  acpi_pm_->reset();
  fpu_error_->reset();
  com1_->reset();
  debug_exit_.reset();
  ioapic_->reset();
  hpet_->reset();
  chipset_setup();
  u64 bytes = 0;
  if (boot_image_) {
    for (const BootBlob& b : boot_image_->blobs) bytes += b.bytes.size() + b.zero_fill;
    apply_image(*boot_image_);
  } else {
    for (auto& v : vcpus_) v->reset();
    vcpu_sched_->reset();
    apic_setup();
  }
  vcpu_sched_->pass_time(1000 + bytes / 8);
  // The stop request that brought the run loop here (the reset, a triple
  // fault) belongs to the machine before the reset: a run to the current
  // time consumes it without executing anything.
  for (auto& v : vcpus_) v->cpu().run(v->cpu().icount());
}

// The machine state Multiboot promises at entry (Multiboot 0.6.96 §3.2 and
// Multiboot2 §3.3): protected mode, paging off, flat 4 GiB segments,
// EFLAGS.IF=VM=0, EAX=magic, EBX=boot information. The GDTR is left empty:
// the specifications require the OS to load its own before reloading a
// segment register. Selectors are those QEMU's Multiboot ROM uses, which
// are also Linux's __BOOT_CS/__BOOT_DS: its 32-bit boot protocol is the
// same state with the loader's GDT in GDTR and ESI = boot_params.
void Machine::enter_protected32(const BootImage& image) {
  Cpu& c = cpu();
  c.cr0 = cr0::PE | cr0::ET;
  const u32 code = ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::DB | ar::G;
  const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  for (unsigned s = 0; s < kNumSegs; ++s) c.seg[s] = Segment{0x18, 0, 0xffffffff, data};
  c.seg[CS] = Segment{0x10, 0, 0xffffffff, code};
  c.gdtr = TableReg{image.gdt_base, image.gdt_limit};
  c.idtr = TableReg{0, 0};
  c.gpr[RAX] = image.eax;
  c.gpr[RBX] = image.ebx;
  c.gpr[RDX] = 0;
  c.gpr[RSI] = image.esi;
  c.flags.set(fl::kFixed1);
  c.rip = image.entry;
  c.mode_changed();
  c.paging_changed();
}

// Linux's 64-bit boot protocol (Documentation/arch/x86/boot.rst): 64-bit
// mode with paging on (the loader's identity map in CR3), the loader's GDT,
// CS = __BOOT_CS (64-bit code), DS = ES = SS = __BOOT_DS, interrupts off,
// RSI = boot_params. IA-32e mode as SDM Vol. 3A §10.8.5 (PAE, LME, then PG)
// leaves it: EFER.LMA = 1 with CS.L = 1.
void Machine::enter_long64(const BootImage& image) {
  Cpu& c = cpu();
  c.cr0 = cr0::PE | cr0::ET | cr0::PG;
  c.cr4 = cr4::PAE;
  c.efer = efer::LME | efer::LMA;
  c.cr3 = image.cr3;
  const u32 code = ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::L | ar::G;
  const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  for (unsigned s = 0; s < kNumSegs; ++s) c.seg[s] = Segment{0x18, 0, 0xffffffff, data};
  c.seg[CS] = Segment{0x10, 0, 0xffffffff, code};
  c.gdtr = TableReg{image.gdt_base, image.gdt_limit};
  c.idtr = TableReg{0, 0};
  c.gpr[RSI] = image.esi;
  c.flags.set(fl::kFixed1);
  c.rip = image.entry;
  c.mode_changed();
  c.paging_changed();
}

// A flat image below 1 MiB starts like a boot sector: real mode,
// CS:IP = (entry >> 4):(entry & 0xf), other segments 0.
void Machine::enter_real16(const BootImage& image) {
  Cpu& c = cpu();
  for (unsigned s = 0; s < kNumSegs; ++s) c.load_segment_real(s, 0);
  c.load_segment_real(CS, u16(image.entry >> 4));
  c.rip = image.entry & 0xf;
  c.gpr[RDX] = 0x80;  // boot drive, as a BIOS would pass it
  c.idtr = TableReg{0, 0x3ff};
  c.mode_changed();
}

std::optional<RunEnd> Machine::host_stop(RunResult& r) const {
  for (const std::string& why : {config_.serial_out ? config_.serial_out->failure() : std::string(),
                                 config_.serial_in ? config_.serial_in->failure() : std::string()}) {
    if (!why.empty()) {
      r.detail = why;
      return RunEnd::HostIoError;
    }
  }
  if (config_.stop_signal) {
    if (int signo = config_.stop_signal->load(std::memory_order_relaxed)) {
      r.signal = signo;
      return RunEnd::Signal;
    }
  }
  return std::nullopt;
}

RunResult Machine::run(std::optional<u64> max_instructions) {
  RunResult r;
  const u64 start = now();
  // Saturating: --max-insns 2^64-1 means "as good as never".
  const u64 limit = !max_instructions                     ? Scheduler::kNever
                    : *max_instructions > ~u64(0) - start ? ~u64(0)
                                                          : start + *max_instructions;
  StopCause cause = StopCause::InsnLimit;
  std::optional<RunEnd> host_end;
  for (;;) {
    const u64 t = now();
    const u64 slice_end = limit - t > kSlice ? t + kSlice : limit;
    cause = vcpu_sched_->run(slice_end);
    com1_->flush_output();
    if ((host_end = host_stop(r))) break;
    if (debug_exit_.exit_request() || powered_off_) break;
    // A reset the guest asked for, or a triple fault (a shutdown cycle,
    // which the chipset turns into a reset).
    const bool reset = reset_request_ || cause == StopCause::TripleFault;
    if (reset && config_.on_reset == ResetAction::Reset) {
      reset_machine();
      cause = StopCause::InsnLimit;
      if (now() >= limit) break;  // the reset's own time used up the run
      continue;
    }
    if (reset) break;
    // A stop request nothing above explains (a vCPU's own INIT): run on.
    if (cause == StopCause::Requested) cause = StopCause::InsnLimit;
    if (cause != StopCause::InsnLimit || now() >= limit) break;
  }
  for (const auto& v : vcpus_) r.instructions += v->cpu().retired();
  r.resets = resets_;
  // Before anything below reads guest memory through paging (which may set
  // Accessed bits).
  if (config_.hash_at_end) r.state_hash = state_hash();
  // Lost output outranks the guest's own ending: what it printed is gone.
  if (host_end == RunEnd::HostIoError) {
    r.end = *host_end;
    return r;
  }
  if (auto v = debug_exit_.exit_request()) {
    r.end = RunEnd::DebugExit;
    r.exit_value = *v;
    return r;
  }
  if (powered_off_) {
    r.end = RunEnd::PowerOff;
    return r;
  }
  if (reset_request_ && cause != StopCause::TripleFault) {
    r.end = RunEnd::Reset;
    r.detail = *reset_request_;
    return r;
  }
  if (host_end) {
    r.end = *host_end;
    return r;
  }
  Vcpu& stopped = *vcpus_[vcpu_sched_->stopped_vcpu()];
  switch (cause) {
    case StopCause::InsnLimit:
      r.end = RunEnd::InsnLimit;
      break;
    case StopCause::HaltedForever:
      r.end = RunEnd::Halted;
      break;
    case StopCause::TripleFault:
      r.end = RunEnd::TripleFault;
      break;
    default:
      r.end = RunEnd::Unsupported;
      break;
  }
  if (cause == StopCause::HaltedForever) {
    r.detail = vcpu_sched_->halted_detail();
  } else {
    r.detail = stopped.cpu().stop_detail();
    if (vcpus_.size() > 1 && !r.detail.empty()) r.detail = "vCPU " + std::to_string(stopped.index()) + ": " + r.detail;
  }
  if (r.end == RunEnd::TripleFault) r.detail += "; " + chain_start_text(stopped.cpu());
  for (const auto& v : vcpus_) {
    const InsnSite& u = v->cpu().last_unimplemented_site();
    if (!u.mnemonic) continue;
    r.note = "the guest executed " + describe_instruction(u.code(), u.code_size, u.rip) + " at RIP " + hex(u.rip) +
             ", which vtlab does not implement yet (it raised #UD)";
    break;
  }
  return r;
}

std::string Machine::chain_start_text(Cpu& cpu) {
  const ChainStart& c = cpu.chain_start();
  if (!c.valid) return "the event that began the chain is unknown";
  std::string s = std::string("the chain began with ") + vector_name(c.vector) + " (vector " + std::to_string(c.vector);
  s += c.has_error ? ", error code " + hex(c.error) + ")" : ", no error code)";
  s += " at CS:RIP " + hex(c.cs) + ":" + hex(c.rip) + ": " + describe_code_at(cpu, c.rip, c.code_size);
  return s;
}

u64 Machine::state_hash() const {
  StateHash h;
  for (const auto& v : vcpus_) {
    const Cpu& c = v->cpu();
    h.value(c.gpr);
    h.value(c.rip);
    h.value(c.flags.get());
    for (const Segment& sg : c.seg) {
      h.value(sg.selector), h.value(sg.base), h.value(sg.limit), h.value(sg.attr);
    }
    h.value(c.cr0), h.value(c.cr2), h.value(c.cr3), h.value(c.cr4), h.value(c.efer);
    for (const Xmm& x : c.xmm) h.value(x.lo), h.value(x.hi);
    h.value(c.mxcsr);
    const X87State& f = c.x87;
    for (const x87::F80& r : f.r) h.value(r.sig), h.value(r.se);
    h.value(f.fcw), h.value(f.fsw), h.value(f.tags), h.value(f.fop);
    h.value(f.fip), h.value(f.fdp), h.value(f.fcs), h.value(f.fds), h.value(f.ferr);
    h.value(c.pkru);
    for (u64 p : c.pdpte) h.value(p);
    h.value(c.debug_traps_pending());
    h.value(c.icount());
    h.value(c.halted);
  }
  const u64 acc = hash_guest_ram(*mem_);
  h.value(acc);
  // The devices' registers, as their snapshots hold them (saving changes
  // nothing, whatever the signature says): the chipset, every local APIC,
  // the IOAPIC, the HPET, and where the vCPU scheduler is.
  Machine& self = const_cast<Machine&>(*this);
  Serializer devices;
  self.pic_.serialize(devices);
  self.pit_->serialize(devices);
  self.port61_->serialize(devices);
  self.rtc_->serialize(devices);
  self.i8042_->serialize(devices);
  self.reset_control_.serialize(devices);
  self.pci_ports_->serialize(devices);
  self.pci_->serialize(devices);
  self.acpi_pm_->serialize(devices);
  self.fpu_error_->serialize(devices);
  self.com1_->serialize(devices);
  for (auto& v : self.vcpus_) {
    v->serialize(devices);
    v->lapic().serialize(devices);
  }
  self.ioapic_->serialize(devices);
  self.hpet_->serialize(devices);
  self.vcpu_sched_->serialize(devices);
  h.bytes(devices.data().data(), devices.data().size());
  return h.digest();
}

}  // namespace vtlab

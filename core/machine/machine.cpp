#include "core/machine/machine.h"

#include <csignal>
#include <cstdio>
#include <vector>

#include "core/base/disasm.h"
#include "core/base/error.h"
#include "core/base/hash.h"
#include "core/machine/code_peek.h"
#include "core/machine/ram_hash.h"
#include "cpu/decoder.h"

namespace vtlab {

namespace {

// "SIGINT" for the signals a user sends to end a run; the number otherwise.
std::string signal_name(int signo) {
  switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    case SIGQUIT: return "SIGQUIT";
    default: return "signal " + std::to_string(signo);
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
    case RunEnd::DebugExit: return DebugExit::host_exit_status(exit_value);
    case RunEnd::InsnLimit:
    case RunEnd::Halted: return 0;
    case RunEnd::HostIoError: return 2;
    case RunEnd::TripleFault: return 3;
    case RunEnd::Unsupported: return 4;
    case RunEnd::Signal: return 128 + signal;
  }
  return 4;
}

std::string RunResult::summary() const {
  std::string s = "vtlab: " + std::to_string(instructions) + " instructions retired, ";
  switch (end) {
    case RunEnd::DebugExit: s += "debug-exit code " + std::to_string(exit_value); break;
    case RunEnd::InsnLimit: s += "instruction limit reached"; break;
    case RunEnd::Halted: s += "halted (" + detail + ")"; break;
    case RunEnd::TripleFault: s += detail; break;
    case RunEnd::Unsupported: s += "stopped: " + detail; break;
    case RunEnd::Signal: s += "ended by " + signal_name(signal); break;
    case RunEnd::HostIoError: s += "stopped: " + detail; break;
  }
  if (state_hash) s += ", state hash " + hex16(*state_hash);
  if (!note.empty() && end != RunEnd::DebugExit) s += "; note: " + note;
  return s;
}

Machine::Machine(const MachineConfig& config) : config_(config) {
  mem_ = std::make_unique<PhysMem>(config.ram_bytes);
  cpu_ = std::make_unique<Cpu>(*mem_, ports_, sched_);
  com1_ = std::make_unique<Uart16550>(sched_, &com1_irq_, config.serial_out, config.serial_in);
  com1_->attach(ports_);
  debug_exit_.attach(ports_);
  debug_exit_.on_exit = [this](u32) { cpu_->request_stop(); };
  log_.set_place_source([this] { return Log::Place{cpu_->instructions_now(), cpu_->rip}; });
  ports_.set_log(log_);
  mem_->set_log(log_);
  cpu_->set_log(log_);
  if (config.serial_out) config.serial_out->on_failure = [this] { cpu_->request_stop(); };
}

Machine::~Machine() {
  com1_->flush_output();
  if (config_.serial_out) config_.serial_out->on_failure = nullptr;  // the sink may outlive us
}

void Machine::load(const BootImage& image) {
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
  cpu_->reset();
  if (image.mode == StartMode::Real16)
    enter_real16(image);
  else
    enter_protected32(image);
}

// The machine state Multiboot promises at entry (Multiboot 0.6.96 §3.2 and
// Multiboot2 §3.3): protected mode, paging off, flat 4 GiB segments,
// EFLAGS.IF=VM=0, EAX=magic, EBX=boot information. The GDTR is left empty:
// the specifications require the OS to load its own before reloading a
// segment register. Selectors are those QEMU's Multiboot ROM uses.
void Machine::enter_protected32(const BootImage& image) {
  Cpu& c = *cpu_;
  c.cr0 = cr0::PE | cr0::ET;
  const u32 code = ar::P | ar::S | ar::kTypeCode | ar::kTypeReadable | ar::kTypeAccessed | ar::DB | ar::G;
  const u32 data = ar::P | ar::S | ar::kTypeWritable | ar::kTypeAccessed | ar::DB | ar::G;
  for (unsigned s = 0; s < kNumSegs; ++s) c.seg[s] = Segment{0x18, 0, 0xffffffff, data};
  c.seg[CS] = Segment{0x10, 0, 0xffffffff, code};
  c.gdtr = TableReg{0, 0};
  c.idtr = TableReg{0, 0};
  c.gpr[RAX] = image.eax;
  c.gpr[RBX] = image.ebx;
  c.gpr[RDX] = 0;
  c.flags.set(fl::kFixed1);
  c.rip = image.entry;
  c.mode_changed();
  c.paging_changed();
}

// A flat image below 1 MiB starts like a boot sector: real mode,
// CS:IP = (entry >> 4):(entry & 0xf), other segments 0.
void Machine::enter_real16(const BootImage& image) {
  Cpu& c = *cpu_;
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
  const u64 start = cpu_->icount();
  // Saturating: --max-insns 2^64-1 means "as good as never".
  const u64 limit = !max_instructions                     ? Scheduler::kNever
                    : *max_instructions > ~u64(0) - start ? ~u64(0)
                                                          : start + *max_instructions;
  StopCause cause = StopCause::InsnLimit;
  std::optional<RunEnd> host_end;
  for (;;) {
    const u64 now = cpu_->icount();
    const u64 slice_end = limit - now > kSlice ? now + kSlice : limit;
    cause = cpu_->run(slice_end);
    com1_->flush_output();
    if ((host_end = host_stop(r))) break;
    if (cause != StopCause::InsnLimit || cpu_->icount() >= limit) break;
  }
  r.instructions = cpu_->retired();
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
  if (host_end) {
    r.end = *host_end;
    return r;
  }
  switch (cause) {
    case StopCause::InsnLimit: r.end = RunEnd::InsnLimit; break;
    case StopCause::HaltedForever: r.end = RunEnd::Halted; break;
    case StopCause::TripleFault: r.end = RunEnd::TripleFault; break;
    default: r.end = RunEnd::Unsupported; break;
  }
  r.detail = cpu_->stop_detail();
  if (r.end == RunEnd::TripleFault) r.detail += "; " + chain_start_text();
  if (const InsnSite& u = cpu_->last_unimplemented_site(); u.mnemonic) {
    r.note = "the guest executed " + describe_instruction(u.code(), u.code_size, u.rip) + " at RIP " + hex(u.rip) +
             ", which vtlab does not implement yet (it raised #UD)";
  }
  return r;
}

std::string Machine::chain_start_text() {
  const ChainStart& c = cpu_->chain_start();
  if (!c.valid) return "the event that began the chain is unknown";
  std::string s = std::string("the chain began with ") + vector_name(c.vector) + " (vector " + std::to_string(c.vector);
  s += c.has_error ? ", error code " + hex(c.error) + ")" : ", no error code)";
  s += " at CS:RIP " + hex(c.cs) + ":" + hex(c.rip) + ": " + describe_code_at(*cpu_, c.rip, c.code_size);
  return s;
}

u64 Machine::state_hash() const {
  const Cpu& c = *cpu_;
  StateHash h;
  h.value(c.gpr);
  h.value(c.rip);
  h.value(c.flags.get());
  for (const Segment& s : c.seg) {
    h.value(s.selector), h.value(s.base), h.value(s.limit), h.value(s.attr);
  }
  h.value(c.cr0), h.value(c.cr2), h.value(c.cr3), h.value(c.cr4), h.value(c.efer);
  for (const Xmm& x : c.xmm) h.value(x.lo), h.value(x.hi);
  h.value(c.mxcsr);
  const X87State& f = c.x87;
  for (const x87::F80& r : f.r) h.value(r.sig), h.value(r.se);
  h.value(f.fcw), h.value(f.fsw), h.value(f.tags), h.value(f.fop);
  h.value(f.fip), h.value(f.fdp), h.value(f.fcs), h.value(f.fds), h.value(f.ferr);
  h.value(c.icount());
  const u64 acc = hash_guest_ram(*mem_);
  h.value(acc);
  return h.digest();
}

}  // namespace vtlab

#include "devices/uart16550/uart16550.h"

#include <algorithm>

namespace vtlab {

using namespace uart16550;

namespace {

// Interrupt priority (PC16550D Table IV "Interrupt Control Functions"):
// receiver line status > received data available = character timeout >
// THR empty > modem status.
struct InterruptSource {
  u8 iir;
  bool (Uart16550::*active)() const;
};

// Saves or loads a bool as one byte, so a corrupt snapshot cannot produce an
// invalid bool.
void serialize_flag(Serializer& s, bool& flag) {
  u8 byte = flag;
  s(byte);
  flag = byte != 0;
}

}  // namespace

Uart16550::Uart16550(Scheduler& scheduler, IrqLine* irq, ByteSink* sink, ByteInput* input, Uart16550Config config)
    : scheduler_(scheduler), irq_(irq), sink_(sink), input_(input), config_(std::move(config)) {
  reset();
}

Uart16550::~Uart16550() { cancel_events(); }

void Uart16550::attach(PortBus& bus) { bus.attach(config_.base, kPortCount, this, config_.name); }

void Uart16550::set_input(ByteInput* input) {
  input_ = input;
  rearm_input_poll();
}

void Uart16550::reset() {
  cancel_events();
  rx_ = {};
  rx_head_ = rx_count_ = 0;
  rbr_last_ = 0;
  ier_ = lcr_ = mcr_ = fcr_ = 0;
  fifo_enabled_ = false;
  scr_ = 0;
  dll_ = 12;  // 9600 baud
  dlm_ = 0;
  lsr_errors_ = 0;
  rx_fifo_error_ = false;
  msr_inputs_ = modem_inputs();
  msr_delta_ = 0;
  thre_pending_ = false;
  timeout_pending_ = false;
  bytes_sent_ = bytes_received_ = overruns_ = 0;
  irq_out_ = false;
  if (irq_) irq_->set_level(false);
  rearm_input_poll();
}

// ---- port side -------------------------------------------------------------

u32 Uart16550::port_read(u16 port, unsigned size) {
  u32 value = 0;
  for (unsigned i = 0; i < std::min(size, 4u); ++i) {
    u32 offset = u32(port) - config_.base + i;
    u8 byte = offset < kPortCount ? read_register(offset) : 0xff;
    value |= u32(byte) << (8 * i);
  }
  return value;
}

void Uart16550::port_write(u16 port, unsigned size, u32 value) {
  for (unsigned i = 0; i < std::min(size, 4u); ++i) {
    u32 offset = u32(port) - config_.base + i;
    if (offset < kPortCount) write_register(offset, u8(value >> (8 * i)));
  }
}

u8 Uart16550::read_register(unsigned offset) {
  bool dlab = lcr_ & kLcrDlab;
  switch (offset) {
    case kRbrThr:
      return dlab ? dll_ : read_rbr();
    case kIer:
      return dlab ? dlm_ : ier_;
    case kIirFcr:
      return read_iir();
    case kLcr:
      return lcr_;
    case kMcr:
      return mcr_;
    case kLsr:
      return read_lsr();
    case kMsr:
      return read_msr();
    default:
      return scr_;
  }
}

void Uart16550::write_register(unsigned offset, u8 value) {
  bool dlab = lcr_ & kLcrDlab;
  switch (offset) {
    case kRbrThr:
      if (dlab)
        dll_ = value;
      else
        write_thr(value);
      break;
    case kIer:
      if (dlab)
        dlm_ = value;
      else
        write_ier(value);
      break;
    case kIirFcr:
      write_fcr(value);
      break;
    case kLcr:
      write_lcr(value);
      break;
    case kMcr:
      write_mcr(value);
      break;
    // LSR and MSR are read-only; the datasheet reserves LSR writes for
    // factory test, so both ignore writes.
    case kLsr:
    case kMsr:
      break;
    default:
      scr_ = value;
      break;
  }
}

// ---- receiver ----------------------------------------------------------------

u8 Uart16550::read_rbr() {
  if (rx_count_ == 0) return rbr_last_;
  rbr_last_ = rx_[rx_head_].data;
  rx_head_ = u8((rx_head_ + 1) % kFifoDepth);
  --rx_count_;
  // In FIFO mode a character's errors show in LSR when it reaches the top.
  if (rx_count_ > 0) lsr_errors_ |= rx_[rx_head_].errors;
  timeout_pending_ = false;  // a read clears the timeout interrupt ...
  restart_char_timeout();    // ... and restarts its timer
  rearm_input_poll();
  update_irq();
  return rbr_last_;
}

void Uart16550::receive(u8 data, u8 errors) {
  ++bytes_received_;
  if (rx_count_ == rx_capacity()) {
    // Overrun. 16450 mode: the new character overwrites RBR. FIFO mode: the
    // character in the shift register is lost and the FIFO is kept.
    lsr_errors_ |= kLsrOverrun;
    ++overruns_;
    if (!fifo_enabled_) {
      rx_[rx_head_] = {data, errors};
      lsr_errors_ |= errors;
    }
  } else {
    rx_[(rx_head_ + rx_count_) % kFifoDepth] = {data, errors};
    if (++rx_count_ == 1) lsr_errors_ |= errors;
    if (errors && fifo_enabled_) rx_fifo_error_ = true;
  }
  restart_char_timeout();
  update_irq();
}

void Uart16550::clear_rx_fifo() {
  rx_head_ = rx_count_ = 0;
  timeout_pending_ = false;
}

unsigned Uart16550::rx_trigger() const { return fifo_enabled_ ? kRxTriggerLevels[fcr_ >> kFcrTriggerShift] : 1; }

// ---- transmitter ---------------------------------------------------------------

void Uart16550::write_thr(u8 value) {
  thre_pending_ = false;  // writing THR clears the THRE interrupt ...
  update_irq();
  transmit(value);
  thre_pending_ = true;  // ... and THR is empty again at once (instant transmit)
  update_irq();
}

void Uart16550::transmit(u8 value) {
  ++bytes_sent_;
  if (loopback()) {
    // The transmitter shift register feeds the receiver; only the configured
    // data bits make it across.
    receive(u8(value & ((1u << (5 + (lcr_ & kLcrWordLengthMask))) - 1)), 0);
  } else if (sink_) {
    sink_->write(value);
  }
}

// ---- control registers ---------------------------------------------------------

void Uart16550::write_ier(u8 value) {
  u8 old = ier_;
  ier_ = value & kIerMask;
  // Enabling ETBEI while THR is empty (always, here) raises the THRE
  // interrupt even if an IIR read had cleared it; drivers (Windows, Linux's
  // THRE re-kick) toggle IER to restart transmission.
  if ((old ^ ier_) & kIerThrEmpty) thre_pending_ = ier_ & kIerThrEmpty;
  update_irq();
}

void Uart16550::write_fcr(u8 value) {
  bool enable = value & kFcrEnable;
  if (enable != fifo_enabled_) {
    // Switching between 16450 and FIFO mode empties both FIFOs.
    clear_rx_fifo();
    fifo_enabled_ = enable;
  }
  if (!enable) {
    // The other FCR bits are programmed only together with FCR0 = 1.
    fcr_ = 0;
  } else {
    if (value & kFcrClearRx) clear_rx_fifo();
    // kFcrClearTx: the transmit FIFO is always empty (instant transmit).
    fcr_ = value & (kFcrEnable | kFcrDmaMode | (3u << kFcrTriggerShift));
  }
  restart_char_timeout();
  rearm_input_poll();
  update_irq();
}

void Uart16550::write_lcr(u8 value) {
  bool had_break = loopback_break();
  lcr_ = value;
  if (!had_break && loopback_break()) receive(0, kLsrBreak | kLsrFramingError);
}

void Uart16550::write_mcr(u8 value) {
  bool had_break = loopback_break();
  mcr_ = value & kMcrMask;
  update_modem_inputs();
  if (!had_break && loopback_break()) receive(0, kLsrBreak | kLsrFramingError);
  rearm_input_poll();
  update_irq();
}

// ---- status registers -----------------------------------------------------------

u8 Uart16550::lsr_value() const {
  u8 lsr = lsr_errors_ | kLsrThrEmpty | kLsrTxEmpty;
  if (rx_count_ > 0) lsr |= kLsrDataReady;
  if (fifo_enabled_ && rx_fifo_error_) lsr |= kLsrFifoError;
  return lsr;
}

u8 Uart16550::read_lsr() {
  u8 lsr = lsr_value();
  lsr_errors_ = 0;
  // LSR bit 7 stays set while an erroneous character remains in the FIFO.
  rx_fifo_error_ = false;
  for (unsigned i = 0; i < rx_count_; ++i) rx_fifo_error_ |= rx_[(rx_head_ + i) % kFifoDepth].errors != 0;
  update_irq();
  return lsr;
}

u8 Uart16550::modem_inputs() const {
  if (!loopback()) return kMsrCts | kMsrDsr | kMsrDcd;
  u8 in = 0;
  if (mcr_ & kMcrRts) in |= kMsrCts;
  if (mcr_ & kMcrDtr) in |= kMsrDsr;
  if (mcr_ & kMcrOut1) in |= kMsrRi;
  if (mcr_ & kMcrOut2) in |= kMsrDcd;
  return in;
}

void Uart16550::update_modem_inputs() {
  u8 now = modem_inputs();
  u8 changed = now ^ msr_inputs_;
  if (changed & kMsrCts) msr_delta_ |= kMsrDeltaCts;
  if (changed & kMsrDsr) msr_delta_ |= kMsrDeltaDsr;
  if (changed & kMsrDcd) msr_delta_ |= kMsrDeltaDcd;
  if ((changed & kMsrRi) && !(now & kMsrRi)) msr_delta_ |= kMsrTrailingRi;
  msr_inputs_ = now;
}

u8 Uart16550::read_msr() {
  u8 msr = msr_value();
  msr_delta_ = 0;
  update_irq();
  return msr;
}

u8 Uart16550::iir_value() const { return pending_interrupt() | (fifo_enabled_ ? kIirFifosEnabled : 0); }

u8 Uart16550::read_iir() {
  u8 iir = iir_value();
  // Reading IIR clears the THRE interrupt only when it is the one reported.
  if (pending_interrupt() == kIirThrEmpty) {
    thre_pending_ = false;
    update_irq();
  }
  return iir;
}

// ---- interrupts -------------------------------------------------------------------

bool Uart16550::line_status_interrupt() const { return (ier_ & kIerLineStatus) && (lsr_errors_ & kLsrLineErrors); }
bool Uart16550::rx_data_interrupt() const { return (ier_ & kIerRxData) && rx_count_ >= rx_trigger(); }
bool Uart16550::char_timeout_interrupt() const {
  return (ier_ & kIerRxData) && fifo_enabled_ && timeout_pending_ && rx_count_ > 0;
}
bool Uart16550::thr_empty_interrupt() const { return (ier_ & kIerThrEmpty) && thre_pending_; }
bool Uart16550::modem_status_interrupt() const { return (ier_ & kIerModemStatus) && (msr_delta_ & kMsrDeltaMask); }

u8 Uart16550::pending_interrupt() const {
  static constexpr InterruptSource kPriority[] = {
      {kIirLineStatus, &Uart16550::line_status_interrupt},   {kIirRxData, &Uart16550::rx_data_interrupt},
      {kIirCharTimeout, &Uart16550::char_timeout_interrupt}, {kIirThrEmpty, &Uart16550::thr_empty_interrupt},
      {kIirModemStatus, &Uart16550::modem_status_interrupt},
  };
  for (const InterruptSource& source : kPriority)
    if ((this->*source.active)()) return source.iir;
  return kIirNone;
}

bool Uart16550::irq_output() const { return intr() && (mcr_ & kMcrOut2) && !loopback(); }

void Uart16550::update_irq() {
  bool level = irq_output();
  if (level == irq_out_) return;
  irq_out_ = level;
  if (irq_) irq_->set_level(level);
}

// ---- timed events -------------------------------------------------------------------

u64 Uart16550::char_time_ns() const {
  u64 div = divisor() ? divisor() : 65536;  // divisor 0: the slowest rate
  unsigned data_bits = 5 + (lcr_ & kLcrWordLengthMask);
  unsigned half_bits = 2 * (1 + data_bits + ((lcr_ & kLcrParityEnable) ? 1 : 0));
  half_bits += (lcr_ & kLcrTwoStopBits) ? (data_bits == 5 ? 3 : 4) : 2;
  // One bit lasts 16 * divisor clock periods.
  return u64(half_bits) * 16 * div * 1'000'000'000 / (2 * kClockHz);
}

void Uart16550::schedule_input_poll(u64 when) {
  input_poll_at_ = when;
  input_poll_event_ = scheduler_.schedule_at(when, config_.name + " input", [this] { on_input_poll(); });
}

void Uart16550::schedule_char_timeout(u64 when) {
  char_timeout_at_ = when;
  char_timeout_event_ = scheduler_.schedule_at(when, config_.name + " rx timeout", [this] { on_char_timeout(); });
}

void Uart16550::rearm_input_poll() {
  if (input_poll_at_ != Scheduler::kNever) return;
  if (!input_ || input_->exhausted() || loopback() || rx_count_ >= rx_capacity()) return;
  schedule_input_poll(scheduler_.now() + std::max<u64>(1, scheduler_.ns_to_insns(config_.input_poll_ns)));
}

void Uart16550::on_input_poll() {
  input_poll_at_ = Scheduler::kNever;
  if (input_ && !loopback() && rx_count_ < rx_capacity()) {
    if (std::optional<u8> byte = input_->poll()) receive(*byte, 0);
  }
  rearm_input_poll();
}

void Uart16550::restart_char_timeout() {
  if (char_timeout_at_ != Scheduler::kNever) {
    scheduler_.cancel(char_timeout_event_);
    char_timeout_at_ = Scheduler::kNever;
  }
  if (!fifo_enabled_ || rx_count_ == 0) return;
  schedule_char_timeout(scheduler_.now() + std::max<u64>(1, scheduler_.ns_to_insns(4 * char_time_ns())));
}

void Uart16550::on_char_timeout() {
  char_timeout_at_ = Scheduler::kNever;
  if (!fifo_enabled_ || rx_count_ == 0) return;
  timeout_pending_ = true;
  update_irq();
}

void Uart16550::cancel_events() {
  if (input_poll_at_ != Scheduler::kNever) scheduler_.cancel(input_poll_event_);
  if (char_timeout_at_ != Scheduler::kNever) scheduler_.cancel(char_timeout_event_);
  input_poll_at_ = char_timeout_at_ = Scheduler::kNever;
}

// ---- snapshot and debugger ------------------------------------------------------------

void Uart16550::serialize(Serializer& s) {
  for (RxEntry& e : rx_) {
    s(e.data);
    s(e.errors);
  }
  s(rx_head_);
  s(rx_count_);
  s(rbr_last_);
  s(ier_);
  s(lcr_);
  s(mcr_);
  s(fcr_);
  s(scr_);
  s(dll_);
  s(dlm_);
  serialize_flag(s, fifo_enabled_);
  s(lsr_errors_);
  serialize_flag(s, rx_fifo_error_);
  s(msr_inputs_);
  s(msr_delta_);
  serialize_flag(s, thre_pending_);
  serialize_flag(s, timeout_pending_);
  u64 poll_at = input_poll_at_, timeout_at = char_timeout_at_;
  s(poll_at);
  s(timeout_at);
  s(bytes_sent_);
  s(bytes_received_);
  s(overruns_);
  if (s.saving()) return;

  // Keep a damaged snapshot from putting the device outside its invariants.
  rx_head_ %= kFifoDepth;
  rx_count_ = u8(std::min<unsigned>(rx_count_, rx_capacity()));
  ier_ &= kIerMask;
  mcr_ &= kMcrMask;
  fcr_ = fifo_enabled_ ? u8(fcr_ | kFcrEnable) : 0;
  lsr_errors_ &= kLsrLineErrors;
  msr_inputs_ &= 0xf0;
  msr_delta_ &= kMsrDeltaMask;
  for (RxEntry& e : rx_) e.errors &= kLsrCharErrors;

  cancel_events();
  if (poll_at != Scheduler::kNever) schedule_input_poll(poll_at);
  if (timeout_at != Scheduler::kNever) schedule_char_timeout(timeout_at);
  rearm_input_poll();  // e.g. the input was attached only after the save
  irq_out_ = irq_output();
  if (irq_) irq_->set_level(irq_out_);
}

Uart16550View Uart16550::view() const {
  Uart16550View v;
  v.base = config_.base;
  v.ier = ier_;
  v.iir = iir_value();
  v.fcr = fcr_;
  v.lcr = lcr_;
  v.mcr = mcr_;
  v.lsr = lsr_value();
  v.msr = msr_value();
  v.scr = scr_;
  v.divisor = divisor();
  v.baud = divisor() ? u32(kClockHz / (16 * divisor())) : 0;
  v.fifo_enabled = fifo_enabled_;
  v.rx_trigger = u8(rx_trigger());
  v.rx_count = rx_count_;
  for (unsigned i = 0; i < rx_count_; ++i) v.rx_fifo[i] = rx_[(rx_head_ + i) % kFifoDepth].data;
  v.thre_pending = thre_pending_;
  v.timeout_pending = timeout_pending_;
  v.intr = intr();
  v.irq_line = irq_out_;
  v.bytes_sent = bytes_sent_;
  v.bytes_received = bytes_received_;
  v.overruns = overruns_;
  return v;
}

}  // namespace vtlab

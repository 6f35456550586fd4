// A 16550A UART (National Semiconductor PC16550D / TI TL16C550) on eight I/O
// ports, e.g. COM1 at 0x3f8 on IRQ 4.
//
// Modelling decisions (the datasheets are the reference; see also
// uart16550_regs.h):
// - Transmission is instantaneous in virtual time: a byte written to THR goes
//   to the ByteSink at once, so LSR.THRE and LSR.TEMT always read 1. Guests
//   that poll LSR before each write see an always-ready transmitter. A THR
//   write still clears the THRE interrupt and re-raises it at once, so with
//   ETBEI enabled the interrupt output drops and rises again (an edge for an
//   edge-triggered PIC), as the real chip does once THR empties.
// - The host side is a byte stream: the word length in LCR is not applied to
//   bytes sent to the sink (guests that never program LCR, common in test
//   kernels, still print 8-bit text). It is applied in loopback, where the
//   guest sees both ends. Parity/framing/break errors never come from the
//   host side; the only source is a break set in LCR while in loopback, which
//   receives one 0x00 character with BI and FE, as the datasheet describes a
//   received break.
// - Input: the ByteInput is polled from a scheduler event every
//   `input_poll_ns` of virtual time (default 100 us, one byte per poll, about
//   115200 baud) while the receiver has room and loopback is off. Arrival
//   thus depends only on virtual time (deterministic), and host input is never
//   lost to an overrun: polling pauses while the FIFO (or, in 16450 mode, RBR)
//   is full and resumes one period after the guest makes room. Polling ends
//   for good when the input is exhausted (ByteInput::exhausted).
// - Character timeout (IIR 0x0c): approximated as "the FIFO holds data and
//   neither a byte arrived nor RBR was read for 4 character times", a
//   character time being computed from the divisor and LCR frame format.
// - Modem inputs with loopback off are those of an attached terminal
//   (CTS, DSR, DCD high; RI low). In loopback DTR->DSR, RTS->CTS, OUT1->RI,
//   OUT2->DCD, and the deltas in MSR follow the changes.
// - Interrupt line: on PC serial adapters the chip's INTR pin reaches the PIC
//   through a buffer enabled by the OUT2 output (MCR bit 3). In loopback the
//   datasheet forces the output pins inactive, so the line stays low even
//   with OUT2 set; IIR still reports the source, for polling guests.
// - Port accesses wider than a byte are split into byte accesses at
//   consecutive offsets, as the ISA bus does for an 8-bit device; bytes past
//   the eight registers read as 0xff.
// - Reset values follow the datasheet's master reset; the divisor latch and
//   SCR, which the chip leaves undefined, reset to 12 (9600 baud) and 0.
#pragma once
#include <array>
#include <string>

#include "core/base/input.h"
#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "core/base/serializer.h"
#include "devices/uart16550/byte_sink.h"
#include "devices/uart16550/uart16550_regs.h"

namespace vtlab {

struct Uart16550Config {
  std::string name = "COM1";  // bus and scheduler event names
  u16 base = uart16550::kCom1Base;
  u64 input_poll_ns = 100'000;  // virtual time between two input polls
};

// Read-only picture of the UART for the debugger; taking it has no side
// effects (unlike reading IIR, LSR, MSR or RBR through a port).
struct Uart16550View {
  u16 base = 0;
  u8 ier = 0, iir = 0, fcr = 0, lcr = 0, mcr = 0, lsr = 0, msr = 0, scr = 0;
  u16 divisor = 0;
  u32 baud = 0;  // 0 when the divisor is 0
  bool fifo_enabled = false;
  u8 rx_trigger = 1;
  u8 rx_count = 0;
  std::array<u8, uart16550::kFifoDepth> rx_fifo{};  // oldest first
  bool thre_pending = false;
  bool timeout_pending = false;
  bool intr = false;      // the chip's INTR output
  bool irq_line = false;  // the level driven on the IrqLine (after OUT2)
  u64 bytes_sent = 0;
  u64 bytes_received = 0;
  u64 overruns = 0;
};

class Uart16550 final : public PortDevice {
 public:
  // sink and input may be null (output discarded, no input); irq may be null.
  Uart16550(Scheduler& scheduler, IrqLine* irq, ByteSink* sink, ByteInput* input, Uart16550Config config = {});
  ~Uart16550() override;
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  // Claims ports [config.base, config.base + 8) on the bus.
  void attach(PortBus& bus);

  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  void reset();
  // Saves or loads the registers, the FIFO and the pending event times; on
  // load it re-arms its scheduler events at the saved virtual times and
  // drives the IrqLine to the restored level.
  void serialize(Serializer& s);
  Uart16550View view() const;

  // Host-side plumbing (e.g. record/replay swaps the input for a wrapper).
  void set_sink(ByteSink* sink) { sink_ = sink; }
  void set_input(ByteInput* input);
  void flush_output() {
    if (sink_) sink_->flush();
  }

 private:
  struct RxEntry {
    u8 data;
    u8 errors;  // kLsrCharErrors bits that belong to this character
  };

  u8 read_register(unsigned offset);
  void write_register(unsigned offset, u8 value);

  u8 read_rbr();
  u8 read_iir();
  u8 read_lsr();
  u8 read_msr();
  void write_thr(u8 value);
  void write_ier(u8 value);
  void write_fcr(u8 value);
  void write_lcr(u8 value);
  void write_mcr(u8 value);

  void transmit(u8 value);
  void receive(u8 data, u8 errors);
  void clear_rx_fifo();

  bool loopback() const { return mcr_ & uart16550::kMcrLoopback; }
  bool loopback_break() const { return loopback() && (lcr_ & uart16550::kLcrBreak); }
  unsigned rx_capacity() const { return fifo_enabled_ ? uart16550::kFifoDepth : 1; }
  unsigned rx_trigger() const;
  u16 divisor() const { return u16(dll_ | dlm_ << 8); }
  u8 modem_inputs() const;
  void update_modem_inputs();
  u8 lsr_value() const;
  u8 msr_value() const { return msr_inputs_ | msr_delta_; }
  u8 iir_value() const;
  u64 char_time_ns() const;

  // Interrupt sources, in the datasheet's priority order (see kPriority).
  u8 pending_interrupt() const;
  bool line_status_interrupt() const;
  bool rx_data_interrupt() const;
  bool char_timeout_interrupt() const;
  bool thr_empty_interrupt() const;
  bool modem_status_interrupt() const;
  bool intr() const { return pending_interrupt() != uart16550::kIirNone; }
  bool irq_output() const;
  void update_irq();

  // Scheduler events. *_at_ is the absolute virtual time or kNever.
  void rearm_input_poll();
  void on_input_poll();
  void restart_char_timeout();
  void on_char_timeout();
  void cancel_events();
  void schedule_input_poll(u64 when);
  void schedule_char_timeout(u64 when);

  Scheduler& scheduler_;
  IrqLine* irq_;
  ByteSink* sink_;
  ByteInput* input_;
  Uart16550Config config_;

  // Guest-visible state.
  std::array<RxEntry, uart16550::kFifoDepth> rx_{};
  u8 rx_head_ = 0;
  u8 rx_count_ = 0;
  u8 rbr_last_ = 0;  // what RBR returns when empty
  u8 ier_ = 0, lcr_ = 0, mcr_ = 0, fcr_ = 0, scr_ = 0, dll_ = 0, dlm_ = 0;
  bool fifo_enabled_ = false;
  u8 lsr_errors_ = 0;           // latched kLsrLineErrors bits
  bool rx_fifo_error_ = false;  // LSR bit 7 latch
  u8 msr_inputs_ = 0;           // MSR bits 7:4 as last seen
  u8 msr_delta_ = 0;            // MSR bits 3:0
  bool thre_pending_ = false;
  bool timeout_pending_ = false;
  bool irq_out_ = false;

  u64 input_poll_at_ = Scheduler::kNever;
  u64 char_timeout_at_ = Scheduler::kNever;
  u64 input_poll_event_ = 0;
  u64 char_timeout_event_ = 0;

  u64 bytes_sent_ = 0, bytes_received_ = 0, overruns_ = 0;
};

}  // namespace vtlab

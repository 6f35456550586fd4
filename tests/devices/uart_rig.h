// A COM1 UART on a port bus with a capturing sink, driven like a guest
// driver would drive it: byte-wide IN/OUT at 0x3f8 + offset.
#pragma once
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "devices/uart16550/uart16550.h"

namespace vtlab::test {

struct UartRig {
  Scheduler scheduler;
  PortBus bus;
  LatchedIrqLine irq;
  CaptureSink sink;
  Uart16550 uart;

  explicit UartRig(ByteInput* input = nullptr) : uart(scheduler, &irq, &sink, input) { uart.attach(bus); }

  u8 in(unsigned offset) { return u8(bus.read(u16(uart16550::kCom1Base + offset), 1)); }
  void out(unsigned offset, u8 value) { bus.write(u16(uart16550::kCom1Base + offset), 1, value); }

  // Moves virtual time forward, firing each event at its own time.
  void advance(u64 insns) {
    u64 target = scheduler.now() + insns;
    while (scheduler.next_deadline() <= target) {
      scheduler.advance_to(scheduler.next_deadline());
      scheduler.run_due();
    }
    scheduler.advance_to(target);
  }

  // The usual driver set-up: 115200 baud 8N1, FIFOs on and cleared with
  // the given FCR trigger bits, DTR/RTS/OUT2.
  void init_8n1(u8 fcr = 0xc7) {
    out(uart16550::kLcr, 0x80);
    out(0, 0x01);
    out(1, 0x00);
    out(uart16550::kLcr, 0x03);
    out(uart16550::kIirFcr, fcr);
    out(uart16550::kMcr, 0x0b);
  }
};

}  // namespace vtlab::test

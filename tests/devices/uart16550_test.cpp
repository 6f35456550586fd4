// The 16550A as a guest driver sees it through the port bus.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/devices/uart_rig.h"

using namespace vtlab;
using namespace vtlab::uart16550;
using vtlab::test::UartRig;

namespace {

// A ByteInput fed by the test.
class QueueInput final : public ByteInput {
 public:
  explicit QueueInput(std::string bytes) : bytes_(std::move(bytes)) {}
  std::optional<u8> poll() override {
    ++polls;
    if (next_ == bytes_.size()) return std::nullopt;
    return u8(bytes_[next_++]);
  }
  unsigned polls = 0;

 private:
  std::string bytes_;
  std::size_t next_ = 0;
};

void loopback_send(UartRig& r, const std::string& text) {
  for (char c : text) r.out(kRbrThr, u8(c));
}

}  // namespace

TEST_CASE("reset state matches the datasheet's master reset") {
  UartRig r;
  CHECK(r.in(kIer) == 0x00);
  CHECK(r.in(kIirFcr) == 0x01);
  CHECK(r.in(kLcr) == 0x00);
  CHECK(r.in(kMcr) == 0x00);
  CHECK(r.in(kLsr) == 0x60);
  // Not in loopback: an attached terminal asserts CTS, DSR and DCD.
  CHECK(r.in(kMsr) == 0xb0);
  CHECK_FALSE(r.irq.level());
}

TEST_CASE("polled output of a string reaches the sink; LSR stays THRE|TEMT") {
  UartRig r;
  r.init_8n1();
  const std::string text = "Hello, vtlab!\r\n";
  for (char c : text) {
    u8 lsr = r.in(kLsr);
    REQUIRE((lsr & kLsrThrEmpty));  // a driver waits for THRE here
    CHECK(lsr == 0x60);
    r.out(kRbrThr, u8(c));
    CHECK(r.in(kLsr) == 0x60);  // instant transmission: empty again
  }
  CHECK(r.sink.text() == text);
  CHECK(r.uart.view().bytes_sent == text.size());
}

TEST_CASE("a guest that never programs the UART still prints 8-bit bytes") {
  UartRig r;  // LCR = 0 means 5-bit words; the host sink gets whole bytes
  r.out(kRbrThr, 'A');
  r.out(kRbrThr, 0xe9);
  CHECK(r.sink.text() == std::string("A\xe9"));
}

TEST_CASE("divisor latch access") {
  UartRig r;
  CHECK(r.uart.view().divisor == 12);  // 9600 baud after reset
  r.out(kLcr, 0x83);
  r.out(0, 0x01);
  r.out(1, 0x00);
  CHECK(r.in(0) == 0x01);
  CHECK(r.in(1) == 0x00);
  CHECK(r.sink.text().empty());  // the DLL write did not transmit
  r.out(kLcr, 0x03);
  CHECK(r.in(kIer) == 0x00);  // nor did the DLM write reach IER
  CHECK(r.uart.view().divisor == 1);
  CHECK(r.uart.view().baud == 115200);
  CHECK(r.in(kLcr) == 0x03);

  r.out(kLcr, 0x80);
  r.out(0, 0x34);
  r.out(1, 0x12);
  r.out(kLcr, 0x00);
  CHECK(r.uart.view().divisor == 0x1234);
  r.out(kIer, 0x0f);
  r.out(kLcr, 0x80);
  CHECK(r.in(1) == 0x12);  // DLM, not IER
  r.out(kLcr, 0x00);
  CHECK(r.in(kIer) == 0x0f);
  r.out(kIer, 0xff);
  CHECK(r.in(kIer) == 0x0f);  // bits 7:4 are not implemented
}

TEST_CASE("scratch register keeps any value") {
  UartRig r;
  for (unsigned v : {0x00u, 0x55u, 0xaau, 0xffu}) {
    r.out(kScr, u8(v));
    CHECK(r.in(kScr) == v);
  }
}

TEST_CASE("loopback echoes transmitted bytes into the receiver") {
  UartRig r;
  r.init_8n1();
  r.out(kMcr, 0x1b);  // loopback + DTR/RTS/OUT2
  loopback_send(r, "abc");
  CHECK(r.sink.text().empty());  // SOUT is held marking in loopback
  CHECK((r.in(kLsr)&kLsrDataReady));
  std::string echoed;
  while (r.in(kLsr)&kLsrDataReady) echoed.push_back(char(r.in(kRbrThr)));
  CHECK(echoed == "abc");
  CHECK(r.in(kLsr) == 0x60);

  SUBCASE("word length applies in loopback") {
    r.out(kLcr, 0x00);  // 5 data bits
    r.out(kRbrThr, 0xff);
    CHECK(r.in(kRbrThr) == 0x1f);
    r.out(kLcr, 0x02);  // 7 data bits
    r.out(kRbrThr, 0xff);
    CHECK(r.in(kRbrThr) == 0x7f);
  }
  SUBCASE("leaving loopback sends to the sink again") {
    r.out(kMcr, 0x0b);
    r.out(kRbrThr, 'z');
    CHECK(r.sink.text() == "z");
    CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  }
}

TEST_CASE("loopback feeds modem outputs to MSR inputs, with deltas (Linux autoconfig)") {
  UartRig r;
  r.in(kMsr);
  r.out(kMcr, 0x10);  // loopback, all outputs off: CTS/DSR/DCD drop
  u8 msr = r.in(kMsr);
  CHECK((msr & 0xf0) == 0x00);
  CHECK((msr & 0x0f) == (kMsrDeltaCts | kMsrDeltaDsr | kMsrDeltaDcd));
  CHECK(r.in(kMsr) == 0x00);  // reading cleared the deltas

  r.out(kMcr, 0x10 | kMcrRts | kMcrOut2);
  CHECK(r.in(kMsr) == (0x90 | kMsrDeltaCts | kMsrDeltaDcd));
  r.out(kMcr, 0x1f);
  CHECK(r.in(kMsr) == (0xf0 | kMsrDeltaDsr));  // RI rising is not a delta
  r.out(kMcr, 0x10 | kMcrDtr | kMcrRts | kMcrOut2);
  CHECK(r.in(kMsr) == (0xb0 | kMsrTrailingRi));  // RI 1 -> 0: TERI
}

TEST_CASE("modem status interrupt") {
  UartRig r;
  r.out(kIer, kIerModemStatus);
  r.in(kMsr);
  CHECK(r.in(kIirFcr) == 0x01);
  r.out(kMcr, 0x10 | kMcrDtr);
  CHECK(r.in(kIirFcr) == 0x00);  // modem status (all deltas from entering loopback)
  r.in(kMsr);
  CHECK(r.in(kIirFcr) == 0x01);
}

TEST_CASE("loopback break receives one 0x00 with BI and FE") {
  UartRig r;
  r.init_8n1(0x07);  // trigger level 1
  r.out(kIer, kIerLineStatus | kIerRxData);
  r.out(kMcr, 0x10);
  r.out(kLcr, 0x43);             // set break
  CHECK(r.in(kIirFcr) == 0xc6);  // line status outranks data
  u8 lsr = r.in(kLsr);
  CHECK((lsr & (kLsrBreak | kLsrFramingError | kLsrDataReady | kLsrFifoError)) ==
        (kLsrBreak | kLsrFramingError | kLsrDataReady | kLsrFifoError));
  CHECK((r.in(kLsr) & (kLsrBreak | kLsrFramingError)) == 0);  // cleared by the read
  CHECK((r.in(kLsr)&kLsrFifoError));                          // the faulty character is still queued
  CHECK(r.in(kIirFcr) == 0xc4);
  CHECK(r.in(kRbrThr) == 0x00);
  // LSR bit 7 clears at the LSR read after the last faulty character left.
  CHECK(r.in(kLsr) == (0x60 | kLsrFifoError));
  CHECK(r.in(kLsr) == 0x60);
  r.out(kLcr, 0x43);  // break held: no second character
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
}

TEST_CASE("a character's errors show in LSR when it reaches the top of the FIFO") {
  UartRig r;
  r.init_8n1();
  r.out(kMcr, 0x10);
  r.out(kRbrThr, 'a');
  r.out(kLcr, 0x43);  // a break lands behind 'a'
  r.out(kLcr, 0x03);
  CHECK(r.in(kLsr) == (0x60 | kLsrFifoError | kLsrDataReady));  // not yet BI
  CHECK(r.in(kRbrThr) == 'a');
  CHECK(r.in(kLsr) == (0x60 | kLsrFifoError | kLsrDataReady | kLsrBreak | kLsrFramingError));
  CHECK(r.in(kRbrThr) == 0x00);
}

TEST_CASE("FIFO trigger levels and IIR codes") {
  struct Row {
    u8 fcr;
    unsigned level;
  };
  for (Row row : {Row{0x01, 1}, Row{0x41, 4}, Row{0x81, 8}, Row{0xc1, 14}}) {
    CAPTURE(row.level);
    UartRig r;
    r.out(kIirFcr, row.fcr | kFcrClearRx | kFcrClearTx);
    r.out(kMcr, 0x10);
    r.out(kLcr, 0x03);
    r.out(kIer, kIerRxData);
    CHECK(r.in(kIirFcr) == 0xc1);  // FIFOs enabled, nothing pending
    for (unsigned i = 1; i < row.level; ++i) r.out(kRbrThr, u8(i));
    CHECK(r.in(kIirFcr) == 0xc1);
    r.out(kRbrThr, 0x55);
    CHECK(r.in(kIirFcr) == 0xc4);  // received data available
    r.in(kRbrThr);
    CHECK(r.in(kIirFcr) == 0xc1);  // one below the trigger again
    CHECK(r.uart.view().rx_trigger == row.level);
  }
}

TEST_CASE("16450 mode: IIR bits 7:6 are clear, one-byte receiver") {
  UartRig r;
  r.out(kMcr, 0x10);
  r.out(kLcr, 0x03);
  r.out(kIer, kIerRxData);
  CHECK(r.in(kIirFcr) == 0x01);
  r.out(kRbrThr, 'x');
  CHECK(r.in(kIirFcr) == 0x04);
  CHECK(r.in(kRbrThr) == 'x');
  CHECK(r.in(kIirFcr) == 0x01);
  // FCR writes without FCR0 program nothing.
  r.out(kIirFcr, 0xc0);
  CHECK(r.in(kIirFcr) == 0x01);
  CHECK(r.uart.view().fcr == 0);
}

TEST_CASE("FCR clears the receiver FIFO; toggling FIFO mode empties it") {
  UartRig r;
  r.init_8n1();
  r.out(kMcr, 0x10);
  loopback_send(r, "12345");
  CHECK(r.uart.view().rx_count == 5);
  r.out(kIirFcr, 0xc1 | kFcrClearRx);
  CHECK(r.uart.view().rx_count == 0);
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  loopback_send(r, "ab");
  r.out(kIirFcr, 0x00);  // back to 16450 mode
  CHECK(r.uart.view().rx_count == 0);
  CHECK_FALSE(r.uart.view().fifo_enabled);
}

TEST_CASE("character timeout interrupt below the trigger level") {
  UartRig r;
  r.init_8n1(0x81);  // trigger 8
  r.out(kMcr, 0x1b);
  r.out(kIer, kIerRxData);
  loopback_send(r, "ab");
  CHECK(r.in(kIirFcr) == 0xc1);
  // 115200 8N1: 10 bits of 8.68 us; four characters ~347 us.
  r.advance(r.scheduler.ns_to_insns(300'000));
  CHECK(r.in(kIirFcr) == 0xc1);
  r.advance(r.scheduler.ns_to_insns(60'000));
  CHECK(r.in(kIirFcr) == 0xcc);
  CHECK(r.in(kRbrThr) == 'a');  // a read clears it and restarts the timer
  CHECK(r.in(kIirFcr) == 0xc1);
  r.advance(r.scheduler.ns_to_insns(400'000));
  CHECK(r.in(kIirFcr) == 0xcc);
  CHECK(r.in(kRbrThr) == 'b');
  r.advance(r.scheduler.ns_to_insns(1'000'000));
  CHECK(r.in(kIirFcr) == 0xc1);  // empty FIFO: no timeout
}

TEST_CASE("THRE interrupt: raise, clear by IIR read, clear and re-raise by THR write, IER edge") {
  UartRig r;
  r.init_8n1();  // OUT2 set: the interrupt reaches the PIC
  CHECK_FALSE(r.irq.level());
  CHECK(r.in(kIirFcr) == 0xc1);

  r.out(kIer, kIerThrEmpty);  // enabling ETBEI with THR empty raises THRE
  CHECK(r.irq.level());
  CHECK(r.irq.times_raised() == 1);
  CHECK(r.in(kIirFcr) == 0xc2);  // reading IIR as the source clears it
  CHECK_FALSE(r.irq.level());
  CHECK(r.in(kIirFcr) == 0xc1);

  r.out(kRbrThr, 'x');  // the write clears THRE, then THR empties at once
  CHECK(r.irq.level());
  CHECK(r.irq.times_raised() == 2);
  r.out(kRbrThr, 'y');  // a new edge for every byte
  CHECK(r.irq.times_raised() == 3);
  CHECK(r.in(kIirFcr) == 0xc2);
  CHECK_FALSE(r.irq.level());

  r.out(kIer, kIerThrEmpty);  // no ETBEI edge: stays cleared
  CHECK_FALSE(r.irq.level());
  r.out(kIer, 0);
  r.out(kIer, kIerThrEmpty);  // 0 -> 1 edge re-raises
  CHECK(r.irq.level());
  CHECK(r.irq.times_raised() == 4);

  SUBCASE("OUT2 gates the line; IIR still reports") {
    r.out(kMcr, 0x03);
    CHECK_FALSE(r.irq.level());
    CHECK(r.in(kIirFcr) == 0xc2);
    r.out(kMcr, 0x0b);
    CHECK_FALSE(r.irq.level());  // the IIR read above cleared the source
  }
  SUBCASE("loopback forces the OUT2 pin inactive") {
    r.out(kMcr, 0x1b);
    CHECK_FALSE(r.irq.level());
    CHECK(r.uart.view().intr);
    r.out(kMcr, 0x0b);
    CHECK(r.irq.level());
  }
  SUBCASE("higher priority data masks THRE in IIR, THRE survives") {
    r.out(kIirFcr, 0x07);  // trigger level 1
    r.out(kIer, kIerThrEmpty | kIerRxData);
    r.out(kMcr, 0x1b);
    r.out(kRbrThr, 'q');
    CHECK(r.in(kIirFcr) == 0xc4);
    CHECK(r.in(kRbrThr) == 'q');
    CHECK(r.in(kIirFcr) == 0xc2);
    CHECK(r.in(kIirFcr) == 0xc1);
  }
}

TEST_CASE("receiver interrupt on the line with OUT2") {
  QueueInput input("k");
  UartRig r(&input);
  r.init_8n1(0x01);
  r.out(kIer, kIerRxData);
  CHECK_FALSE(r.irq.level());
  r.advance(r.scheduler.ns_to_insns(100'000));
  CHECK(r.irq.level());
  CHECK(r.in(kIirFcr) == 0xc4);
  CHECK(r.in(kRbrThr) == 'k');
  CHECK_FALSE(r.irq.level());
}

TEST_CASE("overrun: 17 bytes into the 16-byte FIFO") {
  UartRig r;
  r.init_8n1();
  r.out(kMcr, 0x1b);
  r.out(kIer, kIerLineStatus);
  for (unsigned i = 0; i < 16; ++i) r.out(kRbrThr, u8('A' + i));
  CHECK((r.in(kIirFcr)&0x0f) == 0x01);
  r.out(kRbrThr, 'Q');  // the 17th
  CHECK(r.in(kIirFcr) == 0xc6);
  u8 lsr = r.in(kLsr);
  CHECK((lsr & kLsrOverrun));
  CHECK((lsr & kLsrDataReady));
  CHECK_FALSE((lsr & kLsrFifoError));     // an overrun is not a character error
  CHECK_FALSE((r.in(kLsr)&kLsrOverrun));  // cleared by the LSR read
  CHECK(r.in(kIirFcr) == 0xc1);
  std::string got;
  while (r.in(kLsr)&kLsrDataReady) got.push_back(char(r.in(kRbrThr)));
  CHECK(got == "ABCDEFGHIJKLMNOP");  // the 17th is lost
  CHECK(r.uart.view().overruns == 1);
}

TEST_CASE("overrun in 16450 mode overwrites RBR") {
  UartRig r;
  r.out(kLcr, 0x03);
  r.out(kMcr, 0x10);
  r.out(kRbrThr, '1');
  r.out(kRbrThr, '2');
  CHECK(r.in(kLsr) == (0x60 | kLsrOverrun | kLsrDataReady));
  CHECK(r.in(kRbrThr) == '2');
  CHECK(r.in(kLsr) == 0x60);
  CHECK(r.in(kRbrThr) == '2');  // an empty RBR keeps its last value
}

TEST_CASE("wide port accesses are split into bytes") {
  UartRig r;
  r.out(kScr, 0x5a);
  // A 16-bit read at LSR reads LSR then MSR; a 32-bit read at SCR runs off
  // the end of the device (0xff bytes).
  CHECK(r.bus.read(u16(kCom1Base + kLsr), 2) == (0x60u | 0xb0u << 8));
  CHECK(r.bus.read(u16(kCom1Base + kScr), 4) == 0xffffff5au);
  r.bus.write(u16(kCom1Base + kLcr), 2, 0x0b03);  // LCR = 3, MCR = 0x0b
  CHECK(r.in(kLcr) == 0x03);
  CHECK(r.in(kMcr) == 0x0b);
}

TEST_CASE("input arrives only as virtual time advances, at fixed times") {
  QueueInput input("hi!");
  UartRig r(&input);
  r.init_8n1();
  const u64 period = r.scheduler.ns_to_insns(100'000);
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  CHECK(input.polls == 0);  // nothing happens without virtual time
  r.advance(period - 1);
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  r.advance(1);
  CHECK(r.uart.view().rx_count == 1);
  r.advance(period);
  r.advance(period);
  CHECK(r.uart.view().rx_count == 3);
  std::string got;
  while (r.in(kLsr)&kLsrDataReady) got.push_back(char(r.in(kRbrThr)));
  CHECK(got == "hi!");
}

TEST_CASE("two runs with the same input see bytes at the same virtual times") {
  auto arrival_times = [] {
    QueueInput input("determinism");
    UartRig r(&input);
    r.init_8n1();
    std::vector<u64> times;
    for (int step = 0; step < 2000 && times.size() < 11; ++step) {
      r.advance(7919);  // an odd step, not a multiple of the poll period
      if (r.in(kLsr)&kLsrDataReady) {
        r.in(kRbrThr);
        times.push_back(r.scheduler.now());
      }
    }
    return times;
  };
  std::vector<u64> first = arrival_times();
  CHECK(first.size() == 11);
  CHECK(first == arrival_times());
}

TEST_CASE("host input is never overrun: polling pauses while the receiver is full") {
  QueueInput input("xyz");
  UartRig r(&input);  // 16450 mode: a one-byte receiver
  r.out(kLcr, 0x03);
  const u64 period = r.scheduler.ns_to_insns(100'000);
  r.advance(10 * period + period / 2);  // the read below falls between polls
  CHECK(r.uart.view().rx_count == 1);
  CHECK(input.polls == 1);
  CHECK(r.in(kLsr) == (0x60 | kLsrDataReady));  // no overrun
  CHECK(r.in(kRbrThr) == 'x');
  r.advance(period - 1);
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  r.advance(1);  // one period after the read
  CHECK(r.in(kRbrThr) == 'y');
  r.advance(period);
  CHECK(r.in(kRbrThr) == 'z');
}

TEST_CASE("loopback disconnects the host input") {
  QueueInput input("h");
  UartRig r(&input);
  r.out(kMcr, 0x10);
  r.advance(r.scheduler.ns_to_insns(1'000'000));
  CHECK(input.polls == 0);
  CHECK_FALSE((r.in(kLsr)&kLsrDataReady));
  r.out(kMcr, 0x00);
  r.advance(r.scheduler.ns_to_insns(100'000));
  CHECK(r.in(kRbrThr) == 'h');
}

TEST_CASE("serialize then load preserves the device state") {
  QueueInput input("");
  UartRig a(&input);
  a.init_8n1(0x81);
  a.out(kScr, 0x77);
  a.out(kIer, kIerRxData | kIerThrEmpty);
  a.out(kMcr, 0x1b);
  loopback_send(a, "snap");
  a.out(kMcr, 0x1a);  // DCD/DTR deltas pending
  a.advance(1234);
  Serializer save;
  a.uart.serialize(save);

  UartRig b(&input);
  b.scheduler.advance_to(a.scheduler.now());
  Serializer load(save.data());
  b.uart.serialize(load);

  Uart16550View va = a.uart.view(), vb = b.uart.view();
  CHECK(vb.ier == va.ier);
  CHECK(vb.iir == va.iir);
  CHECK(vb.lcr == va.lcr);
  CHECK(vb.mcr == va.mcr);
  CHECK(vb.lsr == va.lsr);
  CHECK(vb.msr == va.msr);
  CHECK(vb.scr == 0x77);
  CHECK(vb.divisor == 1);
  CHECK(vb.rx_count == 4);
  CHECK(vb.rx_fifo == va.rx_fifo);
  CHECK(vb.thre_pending == va.thre_pending);
  Serializer again;
  b.uart.serialize(again);
  CHECK(again.data() == save.data());

  // The pending character-timeout event came back with the state.
  b.advance(b.scheduler.ns_to_insns(400'000));
  a.advance(a.scheduler.ns_to_insns(400'000));
  CHECK(b.uart.view().iir == 0xcc);
  CHECK(a.uart.view().iir == 0xcc);
  std::string got;
  while (b.in(kLsr)&kLsrDataReady) got.push_back(char(b.in(kRbrThr)));
  CHECK(got == "snap");
}

TEST_CASE("a truncated snapshot is refused") {
  UartRig r;
  Serializer save;
  r.uart.serialize(save);
  std::vector<u8> bytes = save.data();
  bytes.resize(bytes.size() / 2);
  Serializer load(bytes);
  CHECK_THROWS_AS(r.uart.serialize(load), Error);
}

TEST_CASE("garbage from the guest never breaks the device") {
  QueueInput input(std::string(300, '#'));
  UartRig r(&input);
  u64 x = 0x9e3779b97f4a7c15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 200'000; ++i) {
    u64 v = next();
    u16 port = u16(kCom1Base + v % 9);  // one past the end too
    static constexpr unsigned kSizes[] = {1, 2, 4};
    unsigned size = kSizes[(v >> 8) % 3];
    bool write = v & (1u << 20);
    if (v & (1u << 21)) {
      // Straight to the device, with sizes no bus would send (0, 3, 5, 7).
      port = u16(0x3f0 + (v >> 40) % 24);
      size = unsigned(v >> 12) % 8;
      if (write)
        r.uart.port_write(port, size, u32(v >> 32));
      else
        r.uart.port_read(port, size);
    } else if (write) {
      r.bus.write(port, size, u32(v >> 32));
    } else {
      r.bus.read(port, size);
    }
    if (i % 64 == 0) r.advance((v >> 24) % 5000);
    Uart16550View view = r.uart.view();
    REQUIRE(view.rx_count <= kFifoDepth);
    REQUIRE((view.lsr & 0x60) == 0x60);
    REQUIRE(view.irq_line == r.irq.level());
    REQUIRE((view.iir & 0x30) == 0);
  }
  // A snapshot of whatever state that was loads back identically.
  Serializer save;
  r.uart.serialize(save);
  UartRig copy;
  Serializer load(save.data());
  copy.uart.serialize(load);
  Serializer again;
  copy.uart.serialize(again);
  CHECK(again.data() == save.data());
  // Random bytes as a snapshot: loads into a sane state or throws.
  std::vector<u8> junk(save.data().size());
  for (u8& b : junk) b = u8(next());
  Serializer junk_load(junk);
  copy.uart.serialize(junk_load);
  Uart16550View v = copy.uart.view();
  CHECK(v.rx_count <= (v.fifo_enabled ? kFifoDepth : 1u));
  copy.advance(1'000'000'000);

  r.uart.reset();
  CHECK(r.in(kLsr) == 0x60);
  CHECK(r.in(kIirFcr) == 0x01);
  CHECK(r.in(kIer) == 0x00);
  CHECK_FALSE(r.irq.level());
}

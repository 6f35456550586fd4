// The 8042 keyboard controller as an OS probes it (ports 0x60/0x64): the
// controller commands, the command byte, the PS/2 keyboard and mouse behind
// it, IRQ 1 and IRQ 12, and the reset line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/base/port_bus.h"
#include "devices/i8042/i8042.h"

using namespace vtlab;

namespace {

struct KbcRig {
  PortBus bus;
  LatchedIrqLine irq1, irq12;
  I8042 kbc{&irq1, &irq12};
  std::vector<std::string> resets;
  KbcRig() {
    kbc.attach(bus);
    kbc.on_reset = [this](const char* what) { resets.emplace_back(what); };
  }
  u8 status() { return u8(bus.read(0x64, 1)); }
  void command(u8 c) { bus.write(0x64, 1, c); }
  void data(u8 d) { bus.write(0x60, 1, d); }
  u8 read() { return u8(bus.read(0x60, 1)); }
  // Everything waiting in the output buffer, as the driver's flush reads it.
  std::vector<u8> drain() {
    std::vector<u8> out;
    while (status() & I8042::kObf) out.push_back(read());
    return out;
  }
  void command_byte(u8 v) {
    command(0x60);
    data(v);
  }
};

using Bytes = std::vector<u8>;

}  // namespace

TEST_CASE("i8042: status and command byte after power-on; self test 0x55; port tests 0x00") {
  KbcRig r;
  CHECK(r.status() == (I8042::kSystemFlag | I8042::kNotInhibited));
  r.command(0x20);
  CHECK(r.status() == (I8042::kObf | I8042::kSystemFlag | I8042::kCommandLast | I8042::kNotInhibited));
  CHECK(r.read() == 0x65);
  r.command(0xaa);
  CHECK(r.drain() == Bytes{0x55});
  r.command(0xab);
  CHECK(r.drain() == Bytes{0x00});
  r.command(0xa9);
  CHECK(r.drain() == Bytes{0x00});
  r.command(0xc0);
  CHECK(r.drain() == Bytes{0x80});
  r.command(0xe0);
  CHECK(r.drain() == Bytes{0x00});
  // An empty output buffer reads as its last byte.
  CHECK(r.read() == 0x00);
}

TEST_CASE("i8042: command byte write, A7/A8 and AD/AE, internal RAM") {
  KbcRig r;
  r.command_byte(0x47);
  r.command(0x20);
  CHECK(r.drain() == Bytes{0x47});
  CHECK((r.status() & I8042::kCommandLast) != 0);  // the last write went to 0x64
  r.command(0xa7);
  r.command(0x20);
  CHECK(r.drain() == Bytes{0x67});
  r.command(0xa8);
  r.command(0xad);
  r.command(0x20);
  CHECK(r.drain() == Bytes{0x57});
  r.command(0xae);
  r.command(0x20);
  CHECK(r.drain() == Bytes{0x47});
  r.command(0x7f);  // RAM byte 31
  r.data(0x5a);
  r.command(0x3f);
  CHECK(r.drain() == Bytes{0x5a});
  // The system flag in the status follows the command byte.
  r.command_byte(0x00);
  CHECK((r.status() & I8042::kSystemFlag) == 0);
}

TEST_CASE("i8042: the keyboard answers reset, identify, echo, LEDs, scan code set; unknown -> FE") {
  KbcRig r;
  r.data(0xff);
  CHECK(r.drain() == Bytes{0xfa, 0xaa});
  r.data(0xf2);
  CHECK(r.drain() == Bytes{0xfa, 0xab, 0x41});  // translated, as Linux sees it with XLAT on
  r.command_byte(0x05);                         // translation off
  r.data(0xf2);
  CHECK(r.drain() == Bytes{0xfa, 0xab, 0x83});
  r.data(0xee);
  CHECK(r.drain() == Bytes{0xee});
  r.data(0xed);
  r.data(0x07);
  CHECK(r.drain() == Bytes{0xfa, 0xfa});
  CHECK(r.kbc.view().keyboard.leds == 7);
  r.data(0xf0);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xfa, 0xfa, 0x02});
  r.data(0xf0);
  r.data(0x03);
  r.data(0xf0);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0x03});
  r.data(0xf3);
  r.data(0x20);
  r.data(0xf5);
  r.data(0xf4);
  CHECK(r.drain() == Bytes{0xfa, 0xfa, 0xfa, 0xfa});
  r.data(0x12);
  CHECK(r.drain() == Bytes{0xfe});
  r.data(0xfe);  // resend the last byte
  CHECK(r.drain() == Bytes{0xfe});
}

TEST_CASE("i8042: the mouse behind D4; D3 loopback reads back as mouse data with IRQ 12") {
  KbcRig r;
  r.command(0xa8);
  r.command_byte(0x47);  // keyboard and mouse interrupts, mouse port enabled
  r.command(0xd4);
  r.data(0xff);
  CHECK((r.status() & I8042::kAuxData) != 0);
  CHECK(r.irq12.level());
  CHECK_FALSE(r.irq1.level());
  CHECK(r.drain() == Bytes{0xfa, 0xaa, 0x00});
  CHECK_FALSE(r.irq12.level());
  r.command(0xd4);
  r.data(0xf2);
  CHECK(r.drain() == Bytes{0xfa, 0x00});
  for (u8 b : {u8(0xf3), u8(200), u8(0xe8), u8(3), u8(0xe7), u8(0xf4), u8(0xe9)}) {
    r.command(0xd4);
    r.data(b);
  }
  CHECK(r.drain() == Bytes{0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x30, 0x03, 200});
  r.command(0xd3);  // Linux's AUX loop test
  r.data(0x5a);
  CHECK(r.status() == (I8042::kObf | I8042::kAuxData | I8042::kSystemFlag | I8042::kNotInhibited));
  CHECK(r.irq12.level());
  CHECK(r.read() == 0x5a);
  r.command(0xd2);  // keyboard loopback
  r.data(0x1c);
  CHECK(r.irq1.level());
  CHECK(r.read() == 0x1c);
  CHECK_FALSE(r.irq1.level());
  // Wrap mode echoes until EC.
  for (u8 b : {u8(0xee), u8(0x42), u8(0xec)}) {
    r.command(0xd4);
    r.data(b);
  }
  CHECK(r.drain() == Bytes{0xfa, 0x42, 0xfa});
}

TEST_CASE("i8042: a disabled port holds its device's bytes; interrupts follow the command byte") {
  KbcRig r;
  r.command(0xad);  // keyboard port off
  r.data(0xee);     // the keyboard still gets it; its echo waits
  CHECK(r.drain().empty());
  r.command(0xae);
  CHECK(r.irq1.level());  // command byte 0x65: keyboard interrupt on
  CHECK(r.drain() == Bytes{0xee});
  r.command_byte(0x64);  // keyboard interrupt off
  r.data(0xee);
  CHECK_FALSE(r.irq1.level());
  CHECK(r.drain() == Bytes{0xee});
  // Bytes pile up in the device's queue and come out one by one, each
  // raising IRQ 1 again (a new edge for the PIC).
  r.command_byte(0x45);
  const u64 raised = r.irq1.times_raised();
  r.data(0xff);
  CHECK(r.irq1.level());
  CHECK(r.read() == 0xfa);
  CHECK(r.irq1.level());
  CHECK(r.irq1.times_raised() == raised + 2);
  CHECK(r.read() == 0xaa);
  CHECK_FALSE(r.irq1.level());
}

TEST_CASE("i8042: reset through command FE, pulses of bit 0, the output port; A20 bits") {
  KbcRig r;
  r.command(0xfe);
  REQUIRE(r.resets.size() == 1);
  CHECK(r.resets[0] == "the i8042 reset command (0xfe)");
  r.command(0xff);  // pulses nothing
  r.command(0xfd);  // pulses bit 1 only (A20)
  CHECK(r.resets.size() == 1);
  r.command(0xf0);  // bit 0 among others
  CHECK(r.resets.size() == 2);
  r.command(0xd0);
  CHECK(r.drain() == Bytes{0xc3});
  r.command(0xdd);
  r.command(0xd0);
  CHECK(r.drain() == Bytes{0xc1});
  r.command(0xdf);
  r.command(0xd1);
  r.data(0x01);  // A20 off, reset line high: no reset
  CHECK(r.resets.size() == 2);
  r.command(0xd1);
  r.data(0x02);  // reset line low
  REQUIRE(r.resets.size() == 3);
  CHECK(r.resets[2] == "the i8042 output port (reset line low)");
  CHECK(r.kbc.view().resets_requested == 3);
}

TEST_CASE("i8042: unknown commands are ignored; reset and snapshot") {
  KbcRig r;
  for (unsigned c = 0x80; c < 0xa0; ++c) r.command(u8(c));
  CHECK(r.drain().empty());
  r.command_byte(0x47);
  r.command(0xa8);
  r.command(0xd4);
  r.data(0xff);
  Serializer save;
  r.kbc.serialize(save);
  KbcRig copy;
  Serializer load(save.data());
  copy.kbc.serialize(load);
  CHECK(copy.irq12.level());
  CHECK(copy.drain() == Bytes{0xfa, 0xaa, 0x00});
  r.kbc.reset();
  CHECK(r.drain().empty());
  r.command(0x20);
  CHECK(r.drain() == Bytes{0x65});
  CHECK_FALSE(r.irq12.level());
}

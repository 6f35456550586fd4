// The 8259A pair as a guest programs it through ports 0x20/0x21, 0xa0/0xa1
// and the ELCR at 0x4d0/0x4d1, with devices driving the IRQ lines and the
// CPU side taking INTA cycles. Expected values from the Intel 8259A
// datasheet (order 231468).
#include <doctest/doctest.h>

#include <vector>

#include "core/base/error.h"
#include "core/base/port_bus.h"
#include "devices/pic8259/dual_pic.h"

using namespace vtlab;

namespace {

struct PicRig {
  PortBus bus;
  DualPic pic;
  PicRig() { pic.attach(bus); }
  void out(u16 port, u8 v) { bus.write(port, 1, v); }
  u8 in(u16 port) { return u8(bus.read(port, 1)); }
  void raise(unsigned irq) { pic.input(irq).set_level(true); }
  void lower(unsigned irq) { pic.input(irq).set_level(false); }
  void pulse(unsigned irq) {
    raise(irq);
    lower(irq);
  }
  // The PC/AT initialization Linux and BIOSes use: ICW1 0x11 (edge,
  // cascade, ICW4), ICW2 vector base, ICW3 cascade on IR2 / slave ID 2,
  // ICW4 0x01 (8086 mode, normal EOI), then mask everything but `unmasked`.
  void init(u8 master_base = 0x20, u8 slave_base = 0x28, u16 unmasked = 0xffff, u8 icw4 = 0x01) {
    out(0x20, 0x11);
    out(0x21, master_base);
    out(0x21, 0x04);
    out(0x21, icw4);
    out(0xa0, 0x11);
    out(0xa1, slave_base);
    out(0xa1, 0x02);
    out(0xa1, icw4);
    out(0x21, u8(~unmasked));
    out(0xa1, u8(~unmasked >> 8));
  }
  u8 master_irr() {
    out(0x20, 0x0a);  // OCW3: read IRR
    return in(0x20);
  }
  u8 master_isr() {
    out(0x20, 0x0b);  // OCW3: read ISR
    return in(0x20);
  }
  u8 slave_isr() {
    out(0xa0, 0x0b);
    return in(0xa0);
  }
  void eoi_master() { out(0x20, 0x20); }
  void eoi_slave() { out(0xa0, 0x20); }
};

}  // namespace

TEST_CASE("PIC: ICW1-ICW4 set the vector base; each IRQ gives base + level") {
  PicRig r;
  r.init(0x20, 0x28);
  for (unsigned irq : {0u, 1u, 3u, 4u, 5u, 6u, 7u}) {
    CAPTURE(irq);
    r.raise(irq);
    REQUIRE(r.pic.intr());
    CHECK(r.pic.acknowledge() == 0x20 + irq);
    r.lower(irq);
    r.eoi_master();
    CHECK_FALSE(r.pic.intr());
  }
  for (unsigned irq = 8; irq < 16; ++irq) {
    CAPTURE(irq);
    r.raise(irq);
    REQUIRE(r.pic.intr());
    CHECK(r.pic.acknowledge() == 0x28 + irq - 8);
    CHECK(r.master_isr() == 0x04);  // the cascade input is in service on the master
    CHECK(r.slave_isr() == 1u << (irq - 8));
    r.lower(irq);
    r.eoi_slave();
    r.eoi_master();
    CHECK(r.master_isr() == 0);
  }
  // ICW2's low three bits do not matter in 8086 mode.
  r.init(0x47, 0x7f);
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0x43);
}

TEST_CASE("PIC: ICW1 resets IMR, priority and the read selection; IRQ2 is not an input") {
  PicRig r;
  r.init(0x20, 0x28, 0x0001);
  CHECK(r.in(0x21) == 0xfe);
  CHECK(r.in(0xa1) == 0xff);
  r.out(0x20, 0xc4);          // set priority: IR4 lowest
  r.out(0x20, 0x0b);          // read ISR from now on
  r.out(0x20, 0x11);          // ICW1
  CHECK(r.in(0x21) == 0x00);  // IMR cleared at once
  r.out(0x21, 0x20);
  r.out(0x21, 0x04);
  r.out(0x21, 0x01);
  r.raise(7);
  r.raise(5);
  CHECK(r.in(0x20) == 0xa0);           // reads IRR again
  CHECK(r.pic.acknowledge() == 0x25);  // IR7 lowest again: IR5 first
  CHECK_THROWS_AS(r.pic.input(2), Error);
  CHECK_THROWS_AS(r.pic.input(16), Error);
}

TEST_CASE("PIC: without ICW4 the chip is in MCS-80/85 mode: the vector is the CALL address's low byte") {
  PicRig r;
  r.out(0x20, 0x16 | 0xe0);  // ICW1: single, interval 4, no ICW4, A7-A5 = 111
  r.out(0x21, 0x00);         // ICW2 (A15-A8)
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0xec);  // 111 + IR3 * 4 = 0xe0 | 0x0c
  r.out(0x20, 0x12 | 0xc0);            // interval 8
  r.out(0x21, 0x00);
  r.lower(3);  // ICW1 reset the edge latch: a new edge is needed
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0xd8);  // 11 + IR3 * 8
}

TEST_CASE("PIC: OCW1 masks; a masked request stays in IRR") {
  PicRig r;
  r.init(0x20, 0x28, 0xffff);
  r.out(0x21, 0x08);  // mask IR3
  r.raise(3);
  CHECK_FALSE(r.pic.intr());
  CHECK(r.master_irr() == 0x08);
  r.out(0x21, 0x00);
  CHECK(r.pic.intr());
  CHECK(r.pic.acknowledge() == 0x23);
}

TEST_CASE("PIC: fully nested priority; EOI releases lower levels") {
  PicRig r;
  r.init();
  r.raise(5);
  CHECK(r.pic.acknowledge() == 0x25);
  r.raise(6);
  CHECK_FALSE(r.pic.intr());  // lower than what is in service
  r.raise(1);
  CHECK(r.pic.intr());  // higher: nests
  CHECK(r.pic.acknowledge() == 0x21);
  CHECK(r.master_isr() == 0x22);
  r.lower(1);
  r.eoi_master();  // non-specific: the highest in service (IR1)
  CHECK(r.master_isr() == 0x20);
  CHECK_FALSE(r.pic.intr());
  r.out(0x20, 0x65);  // specific EOI for IR5
  CHECK(r.master_isr() == 0x00);
  CHECK(r.pic.acknowledge() == 0x26);
}

TEST_CASE("PIC: several requests at once come out in priority order") {
  PicRig r;
  r.init();
  for (unsigned irq : {7u, 3u, 1u, 12u, 4u}) r.raise(irq);
  std::vector<u8> order;
  while (r.pic.intr()) {
    u8 v = r.pic.acknowledge();
    order.push_back(v);
    // Each handler ends with EOI (slave first for its IRQs) and the device
    // drops its request.
    if (v >= 0x28) {
      r.lower(v - 0x28 + 8);
      r.eoi_slave();
    } else {
      r.lower(v - 0x20);
    }
    r.eoi_master();
  }
  // IRQ 8-15 have the priority of IR2 on the master: between IRQ1 and IRQ3.
  CHECK(order == std::vector<u8>{0x21, 0x2c, 0x23, 0x24, 0x27});
}

TEST_CASE("PIC: rotation (set priority, rotate on EOI, rotate in automatic EOI)") {
  PicRig r;
  r.init();
  r.out(0x20, 0xc4);  // set priority: IR4 lowest, so IR5 highest
  for (unsigned irq : {0u, 3u, 5u, 6u}) r.raise(irq);
  CHECK(r.pic.acknowledge() == 0x25);
  r.lower(5);
  r.out(0x20, 0xa0);  // rotate on non-specific EOI: IR5 becomes lowest
  CHECK(r.pic.acknowledge() == 0x26);
  r.lower(6);
  r.out(0x20, 0xe6);  // rotate on specific EOI of IR6: IR7 highest, IR6 lowest
  CHECK(r.pic.acknowledge() == 0x20);
  r.lower(0);
  r.out(0x20, 0x20);
  CHECK(r.pic.acknowledge() == 0x23);
  r.lower(3);
  r.out(0x20, 0x20);
  CHECK_FALSE(r.pic.intr());
  // Rotate in automatic EOI mode: each acknowledged level becomes lowest.
  r.init(0x20, 0x28, 0xffff, 0x03);  // ICW4: 8086, AEOI
  r.out(0x20, 0x80);                 // rotate in AEOI (set)
  r.raise(1);
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0x21);
  CHECK(r.master_isr() == 0);  // AEOI: never in service
  r.raise(0);
  CHECK(r.pic.acknowledge() == 0x23);  // IR1 is now lowest: IR2..IR7, IR0 order
  CHECK(r.pic.acknowledge() == 0x20);
  r.out(0x20, 0x00);  // rotate in AEOI (clear)
  r.lower(0);
  r.lower(3);
  r.raise(0);
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0x23);  // IR0 lowest since the last rotation; no more rotating
  CHECK(r.pic.acknowledge() == 0x20);
  r.out(0x20, 0x40);  // OCW2 010: no operation
  CHECK(r.pic.view().master.lowest_priority == 0);
}

TEST_CASE("PIC: special mask mode lets lower levels in while a level is in service") {
  PicRig r;
  r.init();
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0x23);
  r.raise(6);
  CHECK_FALSE(r.pic.intr());
  r.out(0x21, 0x08);  // mask the level in service
  r.out(0x20, 0x68);  // OCW3: set special mask mode
  CHECK(r.pic.intr());
  CHECK(r.pic.acknowledge() == 0x26);
  CHECK(r.master_isr() == 0x48);
  r.out(0x20, 0x48);  // reset special mask mode
  r.out(0x20, 0x66);  // specific EOI IR6
  r.out(0x21, 0x00);
  r.lower(6);
  r.raise(6);
  CHECK_FALSE(r.pic.intr());  // IR3, still in service, blocks IR6's next request again
  r.out(0x20, 0x63);          // specific EOI IR3
  CHECK(r.pic.intr());
}

TEST_CASE("PIC: special fully nested mode lets the slave interrupt its own lower level") {
  PicRig r;
  r.init(0x20, 0x28, 0xffff, 0x11);  // ICW4 SFNM on both (it matters on the master)
  r.raise(12);
  CHECK(r.pic.acknowledge() == 0x2c);
  r.raise(9);  // higher priority on the slave, while IR2 is in service on the master
  REQUIRE(r.pic.intr());
  CHECK(r.pic.acknowledge() == 0x29);
  // Without SFNM the master blocks it.
  PicRig n;
  n.init();
  n.raise(12);
  CHECK(n.pic.acknowledge() == 0x2c);
  n.raise(9);
  CHECK_FALSE(n.pic.intr());
}

TEST_CASE("PIC: poll command") {
  PicRig r;
  r.init();
  r.out(0x20, 0x0c);          // OCW3: poll
  CHECK(r.in(0x20) == 0x00);  // nothing requesting
  r.raise(4);
  r.out(0x20, 0x0c);
  CHECK(r.in(0x20) == 0x84);  // I=1, level 4; and it was acknowledged:
  CHECK(r.master_isr() == 0x10);
  CHECK_FALSE(r.pic.intr());
}

TEST_CASE("PIC: edge mode needs a rising edge and a request held until INTA") {
  PicRig r;
  r.init();
  r.raise(3);
  CHECK(r.pic.acknowledge() == 0x23);
  r.eoi_master();
  CHECK_FALSE(r.pic.intr());  // still high: no new edge, no new request
  r.lower(3);
  r.raise(3);
  CHECK(r.pic.intr());
  // A request that goes away before INTA: the default IR7 vector, nothing
  // in service.
  r.lower(3);
  CHECK_FALSE(r.pic.intr());
  CHECK(r.pic.acknowledge() == 0x27);
  CHECK(r.master_isr() == 0);
  CHECK(r.pic.view().spurious == 1);
  // ICW1 resets the edge sense latch: a line high across it needs a new edge.
  r.raise(5);
  r.init();
  CHECK(r.master_irr() == 0x00);
}

TEST_CASE("PIC: ELCR level mode; reserved bits stay edge; LTIM makes every pin level") {
  PicRig r;
  r.init();
  r.out(0x4d0, 0xff);
  r.out(0x4d1, 0xff);
  CHECK(r.in(0x4d0) == 0xf8);  // IRQ 0, 1, 2 are always edge
  CHECK(r.in(0x4d1) == 0xde);  // IRQ 8 and 13 too
  r.raise(10);
  CHECK(r.pic.acknowledge() == 0x2a);
  r.eoi_slave();
  r.eoi_master();
  // Level: still high after EOI, so it asks again.
  CHECK(r.pic.intr());
  CHECK(r.pic.acknowledge() == 0x2a);
  r.lower(10);
  r.eoi_slave();
  r.eoi_master();
  CHECK_FALSE(r.pic.intr());
  // IRR follows the level on level pins.
  r.raise(5);
  CHECK(r.master_irr() == 0x20);
  r.lower(5);
  CHECK(r.master_irr() == 0x00);
  // ICW1.LTIM: level on every pin of that chip (IRQ1's ELCR bit is reserved).
  PicRig l;
  l.out(0x20, 0x19);
  l.out(0x21, 0x20);
  l.out(0x21, 0x04);
  l.out(0x21, 0x01);
  l.raise(1);
  CHECK(l.pic.acknowledge() == 0x21);
  l.eoi_master();
  CHECK(l.pic.intr());
}

TEST_CASE("PIC: a cascade acknowledge no slave answers reads 0xff; a single master gives its own vector") {
  PicRig r;
  r.init();
  r.out(0xa0, 0x11);  // re-initialize the slave with ID 5
  r.out(0xa1, 0x28);
  r.out(0xa1, 0x05);
  r.out(0xa1, 0x01);
  r.raise(9);
  CHECK(r.pic.acknowledge() == 0xff);
  // The master alone (SNGL): IR2 is an ordinary input driven by the slave's INTR.
  PicRig s;
  s.init();
  s.out(0x20, 0x13);  // ICW1: single, ICW4
  s.out(0x21, 0x40);
  s.out(0x21, 0x01);
  s.raise(9);
  CHECK(s.pic.acknowledge() == 0x42);
}

TEST_CASE("PIC: the INTR output line follows the master's INTR") {
  PicRig r;
  LatchedIrqLine intr;
  r.pic.set_intr_output(&intr);
  r.init();
  CHECK_FALSE(intr.level());
  r.raise(14);
  CHECK(intr.level());
  r.pic.acknowledge();
  CHECK_FALSE(intr.level());
}

TEST_CASE("PIC: word accesses are split into bytes; reset; snapshot round trip") {
  PicRig r;
  r.init(0x20, 0x28, 0x0013);
  CHECK(r.bus.read(0x20, 2) == (u32(0xec) << 8 | 0x00));  // IRR at 0x20, IMR 0xec at 0x21
  r.raise(4);
  r.raise(13);
  Serializer save;
  r.pic.serialize(save);
  PicRig copy;
  Serializer load(save.data());
  copy.pic.serialize(load);
  CHECK(copy.pic.view().master.irr == r.pic.view().master.irr);
  CHECK(copy.pic.view().master.imr == 0xec);
  CHECK(copy.pic.acknowledge() == r.pic.acknowledge());
  r.pic.reset();
  CHECK(r.pic.view().master.imr == 0);
  CHECK(r.pic.view().elcr[1] == 0);
  CHECK(r.pic.view().master.lines == 0x10);  // IRQ 4 is still driven high
  CHECK(r.pic.view().master.irr == 0x00);    // but a reset needs a new edge
  // A truncated snapshot is refused with an error, not a crash.
  std::vector<u8> half(save.data().begin(), save.data().begin() + 5);
  Serializer bad(half);
  CHECK_THROWS_AS(copy.pic.serialize(bad), Error);
}

// I/O permission (SDM Vol. 1 §19.5, Vol. 3A §8.7): CPL <= IOPL allows every
// port; otherwise every bit of the access in the TSS I/O permission bitmap
// must be clear, the two bitmap bytes read must lie within the TSS limit,
// and a 16-bit TSS has no bitmap. The same rules for INS/OUTS, and for the
// 64-bit TSS in IA-32e mode.
#include "tests/protection/rig.h"

namespace {

using namespace prot_test;

SNIPPET(inb_dx32);
SNIPPET(inw_dx32);
SNIPPET(inl_dx32);
SNIPPET(outsb32);
SNIPPET(rep_insb32);
SNIPPET(inb_dx64);

// 32-bit protected mode at CPL 3 with IOPL 0 running `code`; all ports
// allowed by the bitmap until a test sets bits.
struct IoRig : Prot32Rig {
  IoRig(const u8* b, const u8* e, unsigned iopl = 0, bool user = true) {
    load(kCode, b, e);
    cpu.rip = kCode;
    if (user) enter_user(u32(kCode), u32(kUserStack));
    cpu.flags.set(cpu.rflags() | (u64(iopl) << 12));
  }
  void deny(u16 port) {
    const u64 at = kTss + kIoMap + port / 8;
    mem.write(at, 1, mem.read(at, 1) | (1u << (port % 8)));
  }
  // vector of the exception that stopped the run (#UD: it ran to its UD2)
  int run() { return prot_test::run_to_exception(*this, 1000); }
};

int in_at(u16 port, unsigned size, void (*setup)(IoRig&)) {
  const u8* b = size == 1 ? inb_dx32 : size == 2 ? inw_dx32 : inl_dx32;
  const u8* e = size == 1 ? inb_dx32_end : size == 2 ? inw_dx32_end : inl_dx32_end;
  IoRig r(b, e);
  setup(r);
  r.cpu.gpr[RDX] = port;
  const int v = r.run();
  if (v == kGP) CHECK(r.cpu.intercepted_exception().error == 0);
  return v;
}

}  // namespace

TEST_CASE("CPL > IOPL: a port is allowed exactly when all its bits in the I/O bitmap are clear") {
  auto none = [](IoRig&) {};
  CHECK(in_at(0x80, 1, none) == kUD);
  CHECK(in_at(0x80, 1, [](IoRig& r) { r.deny(0x80); }) == kGP);
  CHECK(in_at(0x81, 1, [](IoRig& r) { r.deny(0x80); }) == kUD);  // its neighbour is still allowed
  // A word at 87H uses the bits of 87H and 88H, in two bitmap bytes.
  CHECK(in_at(0x87, 2, [](IoRig& r) { r.deny(0x88); }) == kGP);
  CHECK(in_at(0x86, 2, [](IoRig& r) { r.deny(0x88); }) == kUD);
  // A doubleword at 3FCH uses 3FCH-3FFH.
  CHECK(in_at(0x3fc, 4, [](IoRig& r) { r.deny(0x3fe); }) == kGP);
  CHECK(in_at(0x3f8, 4, [](IoRig& r) { r.deny(0x3fe); }) == kUD);
  CHECK(in_at(0xffff, 1, none) == kUD);  // the last port: its byte and the 0FFH byte after the map
}

TEST_CASE("bitmap bytes beyond the TSS limit, a map base at the limit, and a 16-bit TSS deny the port") {
  // The limit ends the bitmap with the byte of ports F8H-FFH. The check
  // reads two bytes: for F0H those of F0H and F8H (within the limit), for
  // F8H those of F8H and 100H (beyond it).
  auto short_map = [](IoRig& r) { r.cpu.tr.limit = Prot32Rig::kIoMap + 0x1f; };
  CHECK(in_at(0xf0, 1, short_map) == kUD);
  CHECK(in_at(0xf8, 1, short_map) == kGP);
  CHECK(in_at(0x100, 1, short_map) == kGP);
  // The I/O map base at or beyond the limit: no bitmap, every port denied.
  CHECK(in_at(0x80, 1, [](IoRig& r) { r.put32(Prot32Rig::kTss + 0x64, 0x2100u << 16); }) == kGP);
  // A 16-bit TSS (type 3, busy) has no I/O bitmap.
  CHECK(in_at(0x80, 1, [](IoRig& r) { r.cpu.tr.attr = (r.cpu.tr.attr & ~ar::kTypeMask) | 3; }) == kGP);
}

TEST_CASE("CPL <= IOPL allows every port whatever the bitmap says") {
  IoRig r3(inb_dx32, inb_dx32_end, 3);
  r3.deny(0x80);
  r3.cpu.gpr[RDX] = 0x80;
  CHECK(r3.run() == kUD);
  IoRig k(inb_dx32, inb_dx32_end, 0, false);  // CPL 0, IOPL 0
  k.deny(0x80);
  k.cpu.tr.limit = 0x67;  // no bitmap at all
  k.cpu.gpr[RDX] = 0x80;
  CHECK(k.run() == kUD);
}

TEST_CASE("INS and OUTS are checked the same way; a REP INS faults before its first iteration") {
  IoRig o(outsb32, outsb32_end);
  o.deny(0x70);
  o.cpu.gpr[RDX] = 0x70;
  o.cpu.gpr[RSI] = 0x3000;
  CHECK(o.run() == kGP);
  CHECK(o.cpu.gpr[RSI] == 0x3000);
  IoRig i(rep_insb32, rep_insb32_end);
  i.deny(0x70);
  i.cpu.gpr[RDX] = 0x70;
  i.cpu.gpr[RDI] = 0x3000;
  i.cpu.gpr[RCX] = 4;
  i.put(0x3000, {0x11, 0x11, 0x11, 0x11});
  CHECK(i.run() == kGP);
  CHECK(i.cpu.gpr[RCX] == 4);
  CHECK(i.get(0x3000, 4) == 0x11111111);
  IoRig ok(rep_insb32, rep_insb32_end);
  ok.cpu.gpr[RDX] = 0x71;
  ok.cpu.gpr[RDI] = 0x3000;
  ok.cpu.gpr[RCX] = 4;
  CHECK(ok.run() == kUD);
  CHECK(ok.cpu.gpr[RCX] == 0);
  CHECK(ok.get(0x3000, 4) == 0xffffffff);  // open bus
}

TEST_CASE("the 64-bit TSS carries the I/O map base at offset 66H too (IA-32e mode, CPL 3)") {
  for (bool denied : {false, true}) {
    LongModeRig r;
    constexpr u32 kMap = 0x68;
    r.put64(LongModeRig::kGdt + 0x30, seg_desc(u32(LongModeRig::kTss), kMap + 0x2000, 0x8b, 0));
    r.cpu.tr.limit = kMap + 0x2000;
    r.mem.write(LongModeRig::kTss + 0x66, 2, kMap);
    r.mem.write(LongModeRig::kTss + kMap + 0x2000, 1, 0xff);
    if (denied) r.mem.write(LongModeRig::kTss + kMap + 0x60 / 8, 1, 1u << (0x60 % 8));
    r.mem.write_block(0x20000, inb_dx64, size_t(inb_dx64_end - inb_dx64));
    r.enter_user(0x20000, 0x30000);
    r.cpu.gpr[RDX] = 0x60;
    CAPTURE(denied);
    CHECK(run_to_exception(r) == (denied ? kGP : kUD));
  }
}

// The fw_cfg device alone, through its ports, as QEMU's docs/specs/fw_cfg.rst
// describes the interface: selector and data ports, the file directory,
// and DMA with its control bits, errors and the register's signature.
#include <doctest/doctest.h>

#include "devices/fw_cfg/fw_cfg.h"
#include "tests/firmware/fake_dma.h"

using namespace firmware_test;
using vtlab::FwCfg;
using vtlab::u16;
using vtlab::u32;
using vtlab::u64;
using vtlab::u8;

namespace {

constexpr u64 kRamBase = 0x10000, kRamSize = 0x10000;
constexpr u64 kDesc = 0x10000, kBuf = 0x11000;

struct Rig {
  FakeDma mem{kRamBase, kRamSize};
  vtlab::PortBus bus;
  FwCfg fw{&mem, 0x00f8};
  Rig() {
    fw.attach(bus);
    fw.set_le(0x03, 0x12345678abcdull, 8);  // RAM size
    fw.add_file("etc/zeta", {1, 2, 3});
    fw.add_file("etc/alpha", std::vector<u8>(100, 0x5a));
  }
  void select(u16 key) { bus.write(0x510, 2, key); }
  std::vector<u8> read(size_t n) {
    std::vector<u8> out;
    for (size_t i = 0; i < n; ++i) out.push_back(u8(bus.read(0x511, 1)));
    return out;
  }
  // Writes a FWCfgDmaAccess at kDesc and starts it with two 32-bit OUTs,
  // as Linux's driver does (iowrite32be of each half).
  u32 dma(u32 control, u32 length, u64 address, u64 desc = kDesc) {
    if (desc >= kRamBase && desc + 16 <= kRamBase + kRamSize) {
      mem.put_be(desc, control, 4);
      mem.put_be(desc + 4, length, 4);
      mem.put_be(desc + 8, address, 8);
    }
    bus.write(0x514, 4, __builtin_bswap32(u32(desc >> 32)));
    bus.write(0x518, 4, __builtin_bswap32(u32(desc)));
    return desc >= kRamBase && desc + 16 <= kRamBase + kRamSize ? u32(mem.get_be(desc, 4)) : 0xdead;
  }
};

u64 le(const std::vector<u8>& b, size_t at, unsigned n) {
  u64 v = 0;
  for (unsigned i = n; i-- > 0;) v = v << 8 | b.at(at + i);
  return v;
}

}  // namespace

TEST_CASE("fw_cfg ports: signature, ID with DMA, a number item, past the end reads 0") {
  Rig r;
  r.select(0x0000);
  CHECK(r.read(4) == std::vector<u8>{'Q', 'E', 'M', 'U'});
  CHECK(r.read(2) == std::vector<u8>{0, 0});  // past the end
  r.select(0x0001);
  CHECK(le(r.read(4), 0, 4) == 3);  // traditional interface and DMA
  r.select(0x0003);
  CHECK(le(r.read(8), 0, 8) == 0x12345678abcdull);
  // Selecting again starts from offset 0; bit 14 (write channel) changes nothing for reads.
  r.select(0x4003);
  CHECK(le(r.read(8), 0, 8) == 0x12345678abcdull);
  // An item nobody defined reads as zeros.
  r.select(0x1234);
  CHECK(r.read(3) == std::vector<u8>{0, 0, 0});
  // A byte read at 0x510 is a data read too (QEMU's x86 port pair).
  r.select(0x0000);
  CHECK(r.bus.read(0x510, 1) == 'Q');
  CHECK(r.bus.read(0x511, 1) == 'E');
}

TEST_CASE("fw_cfg ports: accesses of other widths read 0 and change nothing") {
  Rig r;
  r.select(0x0000);
  CHECK(r.bus.read(0x511, 2) == 0);
  CHECK(r.bus.read(0x510, 4) == 0);
  r.bus.write(0x510, 1, 0x55);    // an obsolete data write: ignored
  r.bus.write(0x511, 2, 0x0001);  // not a selector write
  r.bus.write(0x510, 4, 0x0003);
  CHECK(r.read(4) == std::vector<u8>{'Q', 'E', 'M', 'U'});
  // Ports 0x512-0x513 are not fw_cfg's.
  CHECK(r.bus.read(0x512, 1) == 0xff);
}

TEST_CASE("fw_cfg file directory: big-endian count and entries, sorted by name, keys from 0x20") {
  Rig r;
  r.select(0x0019);
  std::vector<u8> dir = r.read(4 + 2 * 64);
  auto be = [&](size_t at, unsigned n) {
    u64 v = 0;
    for (unsigned i = 0; i < n; ++i) v = v << 8 | dir[at + i];
    return v;
  };
  CHECK(be(0, 4) == 2);
  CHECK(be(4, 4) == 100);
  CHECK(be(8, 2) == 0x20);
  CHECK(std::string(reinterpret_cast<const char*>(&dir[12])) == "etc/alpha");
  CHECK(be(68, 4) == 3);
  CHECK(be(72, 2) == 0x21);
  CHECK(std::string(reinterpret_cast<const char*>(&dir[76])) == "etc/zeta");
  r.select(0x21);
  CHECK(r.read(4) == std::vector<u8>{1, 2, 3, 0});
  // Replacing a file keeps one entry.
  r.fw.add_file("etc/zeta", {9});
  CHECK(r.fw.view().files.size() == 2);
  r.select(0x21);
  CHECK(r.read(1) == std::vector<u8>{9});
}

TEST_CASE("fw_cfg DMA register: reads as \"QEMU CFG\", a high-half write clears the low half") {
  Rig r;
  CHECK(r.bus.read(0x514, 4) == 0x554d4551);  // "QEMU" in port order
  CHECK(r.bus.read(0x518, 4) == 0x47464320);  // " CFG"
  CHECK(r.bus.read(0x514, 1) == 0);           // only 32-bit reads are valid
  r.bus.write(0x514, 4, __builtin_bswap32(1));
  CHECK(r.fw.view().dma_address == u64(1) << 32);
  r.bus.write(0x514, 2, 0xffff);  // ignored
  CHECK(r.fw.view().dma_address == u64(1) << 32);
}

TEST_CASE("fw_cfg DMA: select and read, with the requester id of the LPC bridge") {
  Rig r;
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x02, 8, kBuf) == 0);  // select RAM size, read 8
  CHECK(le(r.mem.ram(), kBuf - kRamBase, 8) == 0x12345678abcdull);
  CHECK(r.mem.last_rid == 0x00f8);
  CHECK(r.fw.view().dma_address == 0);  // back to 0 after the transfer
  // The offset carries on: a further read without select gets zeros (past the end).
  std::fill(r.mem.ram().begin() + (kBuf - kRamBase), r.mem.ram().begin() + (kBuf - kRamBase) + 4, 0xee);
  CHECK(r.dma(0x02, 4, kBuf) == 0);
  CHECK(le(r.mem.ram(), kBuf - kRamBase, 4) == 0);
  // Reading past an item's end fills the rest with zeros.
  std::fill(r.mem.ram().begin() + (kBuf - kRamBase), r.mem.ram().begin() + (kBuf - kRamBase) + 16, 0xee);
  CHECK(r.dma(0x21u << 16 | 0x08 | 0x02, 16, kBuf) == 0);
  CHECK(std::vector<u8>(r.mem.ram().begin() + (kBuf - kRamBase), r.mem.ram().begin() + (kBuf - kRamBase) + 16) ==
        std::vector<u8>{1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("fw_cfg DMA: skip moves the offset, and the port reads follow it") {
  Rig r;
  CHECK(r.dma(0x0000u << 16 | 0x08 | 0x04, 2, 0) == 0);  // select signature, skip 2
  CHECK(r.read(2) == std::vector<u8>{'M', 'U'});
  CHECK(r.dma(0x0000u << 16 | 0x08 | 0x04, 100, 0) == 0);  // a skip stops at the end
  CHECK(r.dma(0x02, 1, kBuf) == 0);
  CHECK(r.mem.at(kBuf) == 0);
}

TEST_CASE("fw_cfg DMA errors: writes to read-only items, buffers outside RAM; a bad descriptor changes nothing") {
  Rig r;
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x10, 8, kBuf) == 1);  // write: no item is writable
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x10, 0, kBuf) == 0);  // writing nothing is no error
  // Read and write together: a read (the spec: write means bit 4 and not bit 1).
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x10 | 0x02, 8, kBuf) == 0);
  CHECK(le(r.mem.ram(), kBuf - kRamBase, 8) == 0x12345678abcdull);
  // A buffer that is not RAM sets the error bit.
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x02, 8, 0x900000) == 1);
  CHECK(r.dma(0x0003u << 16 | 0x08 | 0x02, 0xffffffff, kBuf) == 1);  // runs off the end of RAM
  CHECK(r.fw.view().dma_errors == 3);
  // A descriptor outside RAM: nothing is read or written, nothing breaks.
  const std::vector<u8> before = r.mem.ram();
  r.dma(0x02, 8, kBuf, 0x900000);
  CHECK(r.mem.ram() == before);
  CHECK(r.fw.view().dma_errors == 4);
  // No control bits: nothing happens, success.
  CHECK(r.dma(0, 8, kBuf) == 0);
  // Selection by DMA is a selection: the ports read the new item.
  CHECK(r.dma(0x0001u << 16 | 0x08, 0, 0) == 0);
  CHECK(le(r.read(4), 0, 4) == 3);
}

TEST_CASE("fw_cfg without DMA: ID bit 1 clear, the DMA ports unclaimed") {
  vtlab::PortBus bus;
  FwCfg fw(nullptr, 0);
  fw.attach(bus);
  bus.write(0x510, 2, 1);
  u32 id = 0;
  for (int i = 0; i < 4; ++i) id |= bus.read(0x511, 1) << (8 * i);
  CHECK(id == 1);
  CHECK(bus.read(0x514, 4) == 0xffffffff);
}

TEST_CASE("fw_cfg state: reset and serialize keep the selector, offset and DMA half") {
  Rig r;
  r.select(0x0000);
  r.read(1);
  r.bus.write(0x514, 4, __builtin_bswap32(7));
  vtlab::Serializer save;
  r.fw.serialize(save);
  Rig other;
  vtlab::Serializer load(save.data());
  other.fw.serialize(load);
  CHECK(other.fw.view().selector == 0);
  CHECK(other.fw.view().offset == 1);
  CHECK(other.fw.view().dma_address == u64(7) << 32);
  CHECK(other.read(1) == std::vector<u8>{'E'});
  other.fw.reset();
  CHECK(other.fw.view().dma_address == 0);
  CHECK(other.read(1) == std::vector<u8>{'Q'});
}

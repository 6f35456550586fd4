// A guest that programs nonsense into PCI: the byte string drives
// CONFIG_ADDRESS and CONFIG_DATA accesses of every width at 0xcf8-0xcff,
// ECAM accesses of every width anywhere in a few buses, reads and writes in
// the memory window and the I/O space where BARs land, a function's INTx
// and DMA, the SCI, bus resets, and snapshots both faithful and made of
// garbage. Used by the libFuzzer target (fuzz_pci.cpp) and a fixed-seed
// unit test.
//
// What must hold whatever the input: no crash or undefined behaviour (the
// sanitizers watch), no exception, reads no wider than their width, the
// bridges' identities and the mechanism's ports unchanged, a faithful
// snapshot round trip changing nothing, the ACPI block where PMBASE says,
// the 8259 lines as the PIRQ and SCI routes say, and every decoded BAR
// inside the window or the 64 KiB of I/O space.
#pragma once
#include <algorithm>
#include <optional>
#include <vector>

#include "core/base/scheduler.h"
#include "tests/pci/pci_rig.h"

namespace pci_test {

struct StormRig : PciRig {
  Scheduler scheduler;
  AcpiPm pm{scheduler, &lpc.sci_input(), AcpiPmConfig{0x600, 0}};
  TestFunction f{2, pci::kHeaderMultiFunction};
  TestFunction g{1};
  StormRig() {
    bus.add(3, 0, f);
    bus.add(3, 5, g);
    lpc.on_pm_decode = [this](std::optional<u16> base) { pm.relocate(ports, base); };
  }
};

inline constexpr u8 kStormDevices[] = {0, 3, 31, 7};

inline const char* storm_invariants(StormRig& r) {
  if (r.bus.config_read(0, 0, 0, 4) != 0x29c08086 || r.bus.config_read(0, pci::devfn(31, 0), 0, 4) != 0x29188086)
    return "a bridge's identity changed";
  if (r.ports.owner(0xcf8) != &r.mech1 || r.ports.owner(0xcfc) != &r.mech1 ||
      r.ports.owner(0xcf9) != &r.reset_control)
    return "the configuration ports changed hands";
  if (r.pm.base() != r.lpc.pm_decode()) return "the ACPI block is not where PMBASE says";
  for (unsigned irq = 0; irq < 16; ++irq) {
    bool want = false;
    for (unsigned p = 0; p < 8; ++p) want |= r.lpc.pirq_route(p) == irq && r.ioapic[p].level() && p < 4;
    want |= r.lpc.sci_route() == irq && r.pm.view().sci;
    if (r.isa[irq].level() != want) return "an 8259 line disagrees with the PIRQ and SCI routes";
  }
  for (const PciBus::Decode& d : r.bus.decodes()) {
    if (d.io && d.base + d.size > 0x10000) return "an I/O BAR decodes beyond 64 KiB";
    if (!d.io && (d.base < kWindowBase || d.base + d.size > kWindowBase + kWindowSize))
      return "a memory BAR decodes outside the window";
  }
  return nullptr;
}

// Returns null, or the invariant that broke.
inline const char* pci_storm(const u8* data, std::size_t size) {
  std::optional<StormRig> rig;
  rig.emplace();
  StormRig* rp = &*rig;
  std::size_t i = 0;
  auto next = [&]() -> u8 { return i < size ? data[i++] : 0; };
  auto next32 = [&]() { return u32(next()) | u32(next()) << 8 | u32(next()) << 16 | u32(next()) << 24; };
  while (i < size) {
    StormRig& r = *rp;
    const u8 op = next();
    const unsigned width = 1u << (op & 3) % 3;  // 1, 2 or 4
    const u8 sel = next();
    switch (op >> 4) {
      case 0:
      case 1: {  // CONFIG_ADDRESS to one of the devices (or anywhere)
        const u32 a = next32();
        const u32 addr = sel & 0x80 ? a : (a & 0x800000fcu) | u32(kStormDevices[sel & 3]) << 11 | (sel >> 4 & 7) << 8;
        r.ports.write(0xcf8, 4, addr | 0x80000000u);
        break;
      }
      case 2:
      case 3:
      case 4: {  // any access at 0xcf8-0xcff
        const u16 port = u16(0xcf8 + (sel & 7));
        if (sel & 0x80) {
          const u32 v = r.ports.read(port, width);
          if (width < 4 && v >> (8 * width)) return "a port read returned more bits than its width";
        } else {
          r.ports.write(port, width, next32());
        }
        break;
      }
      case 5:
      case 6: {  // ECAM, 1-8 bytes anywhere in buses 0-1
        const u64 offset = (u64(next32()) & 0x1fffff) | u64(kStormDevices[sel & 3]) << 15;
        const unsigned w = 1u << (sel >> 2 & 3);
        if (sel & 0x80) {
          const u64 v = r.ecam.mmio_read(offset, w);
          if (w < 8 && v >> (8 * w)) return "an ECAM read returned more bits than its width";
        } else {
          r.ecam.mmio_write(offset, w, u64(next32()) << 32 | next32());
        }
        break;
      }
      case 7:
      case 8: {  // the memory window and I/O space, where BARs may decode
        const u32 a = next32();
        if (sel & 0x40) {
          const u16 port = u16(a);
          if (sel & 0x80)
            r.ports.read(port, width);
          else
            r.ports.write(port, width, next32());
        } else {
          const u64 addr = kWindowBase + a % kWindowSize;
          const unsigned w = std::min<u64>(u64(1) << (sel & 3), kWindowBase + kWindowSize - addr);
          if (w == 1 || w == 2 || w == 4 || w == 8) {
            if (sel & 0x80)
              r.mem_read(addr, w);
            else
              r.mem_write(addr, w, next32());
          }
        }
        break;
      }
      case 9: {  // the functions' pins and DMA, the SCI
        (sel & 1 ? r.f : r.g).set_intx(sel & 2);
        u8 buf[16];
        if (sel & 4) (sel & 1 ? r.f : r.g).dma_read(next32() & 0x1ffff, buf, 1 + (sel >> 4));
        if (sel & 8) r.pm.press_power_button();
        if (sel & 0x10) r.ports.write(u16(r.pm.base().value_or(0x600)), 2, 0xffff);  // clear PM1_STS
        break;
      }
      case 10: {  // a faithful snapshot round trip changes nothing
        Serializer save;
        r.bus.serialize(save);
        r.mech1.serialize(save);
        Serializer load(save.data());
        r.bus.serialize(load);
        r.mech1.serialize(load);
        Serializer again;
        r.bus.serialize(again);
        r.mech1.serialize(again);
        if (again.data() != save.data()) return "a snapshot round trip changed a register";
        break;
      }
      case 11: {  // a snapshot made of the input's bytes: loads whole, or is refused if truncated
        Serializer probe;
        r.bus.serialize(probe);
        r.mech1.serialize(probe);
        std::vector<u8> junk(sel & 1 ? sel * 16u : probe.data().size());
        for (std::size_t k = 0; k < junk.size(); ++k) junk[k] = u8(data[(i + k) % size] + k * sel);
        Serializer load(junk);
        try {
          r.bus.serialize(load);
          r.mech1.serialize(load);
        } catch (const Error&) {
          if (!(sel & 1)) return "a whole snapshot was refused";
          // Truncated: refused. A loader throws away the half-loaded machine.
          rig.emplace();
          rp = &*rig;
        }
        break;
      }
      case 12:
        r.bus.reset();
        r.mech1.reset();
        break;
      default:  // reads of 00:00.0 and 00:1f.0 by both mechanisms agree
        for (unsigned dev : {0u, 31u}) {
          const u16 reg = u16(sel & 0xfc);
          const u32 a = r.bus.config_read(0, pci::devfn(dev, 0), reg, 4);
          if (a != u32(r.ecam.mmio_read(u64(dev) << 15 | reg, 4)))
            return "ECAM and the bus disagree";
        }
        break;
    }
    if (const char* broken = storm_invariants(*rp)) return broken;
  }
  return nullptr;
}

}  // namespace pci_test

// A guest that programs nonsense into the legacy chipset: the byte string
// drives port reads and writes of every width at every chipset port (and
// their neighbours), INTA cycles, the passing of virtual time, device
// resets, and snapshots both faithful and made of garbage. Used by the
// libFuzzer target (fuzz_chipset.cpp) and by a fixed-seed unit test.
//
// What must hold whatever the input: no crash or undefined behaviour (the
// sanitizers watch), no exception but vtlab::Error from a snapshot load,
// no scheduler event in the past, an INTA always answered, and bounded
// work per operation.
#pragma once
#include <cstdlib>
#include <new>
#include <vector>

#include "core/base/error.h"
#include "core/base/port_bus.h"
#include "core/base/scheduler.h"
#include "devices/acpi_pm/acpi_pm.h"
#include "devices/fpu_error/fpu_error.h"
#include "devices/i8042/i8042.h"
#include "devices/pic8259/dual_pic.h"
#include "devices/pit8254/pit8254.h"
#include "devices/pit8254/system_control_b.h"
#include "devices/reset_control/reset_control.h"
#include "devices/rtc_cmos/rtc_cmos.h"

namespace vtlab::test {

struct Chipset {
  Scheduler scheduler;
  PortBus bus;
  DualPic pic;
  Pit8254 pit{scheduler, &pic.input(0)};
  SystemControlB port61{pit};
  RtcCmos rtc{scheduler, &pic.input(8), 1'704'067'200};
  I8042 kbc{&pic.input(1), &pic.input(12)};
  ResetControl reset_control;
  AcpiPm pm{scheduler, &pic.input(9)};
  FpuError fpu{&pic.input(13)};
  u64 resets = 0, power_offs = 0, acks = 0;

  Chipset() {
    pic.attach(bus);
    pit.attach(bus);
    port61.attach(bus);
    rtc.attach(bus);
    kbc.attach(bus);
    reset_control.attach(bus);
    pm.attach(bus);
    fpu.attach(bus);
    kbc.on_reset = [this](const char*) { ++resets; };
    reset_control.on_reset = [this](const char*) { ++resets; };
    pm.on_power_off = [this] { ++power_offs; };
  }

  // Each device's name and serialize, in a fixed order.
  template <typename F>
  void for_each_device(F&& f) {
    f("8259 pair", [this](Serializer& s) { pic.serialize(s); });
    f("8254", [this](Serializer& s) { pit.serialize(s); });
    f("port 61h", [this](Serializer& s) { port61.serialize(s); });
    f("RTC", [this](Serializer& s) { rtc.serialize(s); });
    f("i8042", [this](Serializer& s) { kbc.serialize(s); });
    f("reset control", [this](Serializer& s) { reset_control.serialize(s); });
    f("ACPI PM", [this](Serializer& s) { pm.serialize(s); });
    f("x87 error latch", [this](Serializer& s) { fpu.serialize(s); });
  }
};

inline constexpr u16 kStormPorts[] = {0x20,  0x21,  0xa0,  0xa1,  0x4d0, 0x4d1, 0x40,  0x41,  0x42,  0x43,
                                      0x61,  0x60,  0x64,  0x70,  0x71,  0x92,  0xf0,  0xcf9, 0x600, 0x601,
                                      0x602, 0x603, 0x604, 0x605, 0x606, 0x608, 0x609, 0x60a, 0x60b, 0x60c,
                                      0x1f,  0x44,  0x5f,  0x65,  0x72,  0x9f,  0x4cf, 0x4d2, 0xcf8, 0xcfa};

// One Chipset at a time, built in static storage: its port bus is 600 KB,
// and a fresh heap block of that size per fuzz input would cost more than
// the input's work (mmap and page faults).
class ChipsetSlot {
 public:
  ChipsetSlot() { renew(); }
  ~ChipsetSlot() { chipset_->~Chipset(); }
  ChipsetSlot(const ChipsetSlot&) = delete;
  ChipsetSlot& operator=(const ChipsetSlot&) = delete;
  Chipset* get() { return chipset_; }
  void renew() {
    if (chipset_) chipset_->~Chipset();
    chipset_ = new (storage_) Chipset;
  }

 private:
  alignas(Chipset) static inline unsigned char storage_[sizeof(Chipset)];
  Chipset* chipset_ = nullptr;
};

// Returns null, or the invariant that broke (the fuzzer aborts on it).
inline const char* chipset_storm(const u8* data, std::size_t size) {
  ChipsetSlot chipset;
  Chipset* c = chipset.get();
  std::size_t i = 0;
  auto next = [&]() -> u8 { return i < size ? data[i++] : 0; };
  while (i < size) {
    const u8 op = next();
    const u16 port = kStormPorts[next() % (sizeof kStormPorts / sizeof kStormPorts[0])];
    const unsigned width = 1u << (op & 3) % 3;  // 1, 2 or 4
    switch (op >> 4) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4: {  // writes are the most common operation
        const u32 value = u32(next()) | u32(next()) << 8 | u32(next()) << 16 | u32(next()) << 24;
        c->bus.write(port, width, value);
        break;
      }
      case 5:
      case 6:
      case 7: {
        const u32 v = c->bus.read(port, width);
        if (width < 4 && v >> (8 * width)) return "a read returned more bits than its width";
        break;
      }
      case 8:
      case 9: {  // time passes: up to a quarter millisecond, events fire on the way
        const u64 target = c->scheduler.now() + (u64(next()) << (next() % 11));
        unsigned events = 0;
        while (c->scheduler.next_deadline() <= target) {
          if (c->scheduler.next_deadline() < c->scheduler.now()) return "an event in the past";
          c->scheduler.advance_to(c->scheduler.next_deadline());
          c->scheduler.run_due();
          if (++events > 100'000) return "more than 100,000 events in a millisecond";
        }
        c->scheduler.advance_to(target);
        break;
      }
      case 10:
      case 11:  // the CPU acknowledges while INTR is high (or not: a LAPIC might)
        if (c->pic.intr() || (op & 1)) {
          c->pic.acknowledge();
          ++c->acks;
        }
        break;
      case 12: {  // a faithful snapshot round trip changes no device
        const char* changed = nullptr;
        c->for_each_device([&](const char* name, auto serialize) {
          Serializer save;
          serialize(save);
          Serializer load(save.data());
          serialize(load);
          Serializer again;
          serialize(again);
          if (again.data() != save.data() && !changed) changed = name;
        });
        if (changed) return changed;
        break;
      }
      case 13: {  // a snapshot made of the input's bytes
        const std::size_t n = next() * 4u;
        std::vector<u8> junk(data + i, data + std::min(size, i + n));
        i += junk.size();
        Serializer load(junk);
        try {
          c->for_each_device([&](const char*, auto serialize) { serialize(load); });
        } catch (const Error&) {
          // Truncated: refused with an error, as it must be. A snapshot
          // loader discards the half-loaded machine; so does this one.
          chipset.renew();
          c = chipset.get();
        }
        break;
      }
      case 14:
        c->pic.reset();
        c->pit.reset();
        c->port61.reset();
        c->rtc.reset();
        c->kbc.reset();
        c->reset_control.reset();
        c->pm.reset();
        c->fpu.reset();
        break;
      default:
        c->fpu.set_ferr(!c->fpu.view().ferr);
        c->pm.press_power_button();
        break;
    }
  }
  return nullptr;
}

}  // namespace vtlab::test

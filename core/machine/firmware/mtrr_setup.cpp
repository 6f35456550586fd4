#include "core/machine/firmware/mtrr_setup.h"

#include "core/base/error.h"
#include "core/machine/platform_layout.h"
#include "cpu/cpu.h"
#include "cpu/msr_table.h"

namespace vtlab {

namespace {

// Memory types (SDM Vol. 3A Table 12-8), one per byte of a fixed-range MTRR.
constexpr u64 kUc = 0, kWp = 5, kWb = 6;
constexpr u64 every_byte(u64 type) { return type * 0x0101010101010101ull; }
constexpr u64 kPhysMaskValid = 1u << 11;
constexpr u64 kDefTypeEnable = 1u << 11, kDefTypeFixedEnable = 1u << 10;
constexpr unsigned kVariableRanges = 8;

}  // namespace

std::vector<MsrValue> firmware_mtrrs(unsigned phys_addr_bits) {
  using namespace msr_index;
  static_assert(platform::kLowRamEnd == 0xa0000 && platform::kBiosAreaEnd == 0x100000,
                "the fixed ranges below follow the PC's first megabyte");
  std::vector<MsrValue> out;
  out.push_back({kMtrrDefType, 0});                         // disabled while they change, as firmware does
  out.push_back({kMtrrFix64k, every_byte(kWb)});            // [0, 0x80000)
  out.push_back({kMtrrFix16k80000, every_byte(kWb)});       // [0x80000, 0xa0000)
  out.push_back({kMtrrFix16kA0000, every_byte(kUc)});       // VGA window [0xa0000, 0xc0000)
  for (u32 i = kMtrrFix4kC0000; i <= kMtrrFix4kF8000; ++i)  // BIOS area [0xc0000, 0x100000)
    out.push_back({i, every_byte(kWp)});
  const u64 addr_mask = (u64(1) << phys_addr_bits) - 1;
  const u64 hole_size = platform::k4GiB - platform::kMmioHoleStart;
  static_assert((platform::k4GiB - platform::kMmioHoleStart & (platform::k4GiB - platform::kMmioHoleStart) - 1) == 0 &&
                    platform::kMmioHoleStart % (platform::k4GiB - platform::kMmioHoleStart) == 0,
                "one variable range covers the MMIO hole: its size is a power of two and its base aligned to it");
  for (unsigned r = 0; r < kVariableRanges; ++r) {
    const bool hole = r == 0;
    out.push_back({kMtrrPhysBase0 + 2 * r, hole ? platform::kMmioHoleStart | kUc : 0});
    out.push_back({kMtrrPhysBase0 + 2 * r + 1, hole ? (~(hole_size - 1) & addr_mask) | kPhysMaskValid : 0});
  }
  out.push_back({kMtrrDefType, kDefTypeEnable | kDefTypeFixedEnable | kWb});
  return out;
}

void program_firmware_mtrrs(Cpu& cpu) {
  u32 r[4];
  cpu.cpuid(0x80000008, 0, r);
  for (const MsrValue& w : firmware_mtrrs(r[0] & 0xff))
    if (!cpu.write_msr(w.index, w.value))
      throw Error("internal: the CPU refused the firmware's MTRR write to MSR " + std::to_string(w.index));
}

}  // namespace vtlab

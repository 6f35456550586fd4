#include "core/machine/firmware/mtrr_setup.h"

#include "core/base/error.h"
#include "core/machine/platform_layout.h"
#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"
#include "mmu/paging.h"

namespace vtlab {
namespace {

// Memory types (SDM Vol. 3A Table 11-8) and the variable-range valid bit.
constexpr u64 kUc = 0, kWb = 6, kPhysMaskValid = 1 << 11;
constexpr u64 kAllBytes = 0x0101010101010101ull;  // one type in each of the 8 ranges of a fixed MTRR
// IA32_MTRR_DEF_TYPE: MTRRs enabled (E, bit 11), fixed ranges enabled (FE, bit 10).
constexpr u64 kDefTypeEnable = 1 << 11, kDefTypeFixedEnable = 1 << 10;

struct VariableRange {
  u64 base, size;  // size a power of two, base aligned to it
  u64 type;
};

// The ECAM window and the 32-bit MMIO hole are device memory.
constexpr VariableRange kUncachedRanges[] = {
    {platform::kEcamBase, platform::kEcamSize, kUc},
    {platform::kMmioHoleStart, platform::k4GiB - platform::kMmioHoleStart, kUc},
};
static_assert(platform::kEcamBase + platform::kEcamSize <= platform::kMmioHoleStart ||
                  platform::kEcamBase >= platform::k4GiB,
              "the two uncacheable ranges do not overlap");

void write(Cpu& cpu, u32 index, u64 value) {
  if (!cpu.write_msr(index, value)) throw Error("firmware: the CPU model refused its own MTRR set-up");
}

}  // namespace

void program_boot_mtrrs(Cpu& cpu) {
  if (!cpu.reports(feature::MTRR)) return;
  using namespace msr_index;
  // Fixed ranges (SDM Vol. 3A §11.11.2.2): 0-512 KiB and 512-640 KiB
  // write-back, the VGA window A0000-BFFFF and the option-ROM area
  // C0000-DFFFF uncacheable, the BIOS area E0000-FFFFF write-back (the RSDP
  // and nothing else lives there).
  write(cpu, kMtrrFix64k, kWb * kAllBytes);
  write(cpu, kMtrrFix16k80000, kWb * kAllBytes);
  write(cpu, kMtrrFix16kA0000, kUc * kAllBytes);
  for (u32 i = kMtrrFix4kC0000; i <= kMtrrFix4kF8000; ++i)
    write(cpu, i, (i - kMtrrFix4kC0000 < 4 ? kUc : kWb) * kAllBytes);
  // Variable ranges (§11.11.2.3): PHYSMASK covers the physical-address bits
  // of MAXPHYADDR above the range's size.
  const u64 phys_mask = (u64(1) << kMaxPhysAddrBits) - 1;
  u32 n = 0;
  for (const VariableRange& r : kUncachedRanges) {
    write(cpu, kMtrrPhysBase0 + 2 * n, r.base | r.type);
    write(cpu, kMtrrPhysBase0 + 2 * n + 1, (~(r.size - 1) & phys_mask) | kPhysMaskValid);
    ++n;
  }
  write(cpu, kMtrrDefType, kDefTypeEnable | kDefTypeFixedEnable | kWb);
}

}  // namespace vtlab

// Placeholder until the x87 unit exists: the x87 state is always the
// initial one (FNINIT's, with ST0-7 zero), so saving writes that and
// loading has nothing to load. cpu/handlers/sse_state.cpp (FXSAVE) writes
// the same bytes. The x87 work replaces this file.
#include "cpu/fpu_state.h"

#include <cstring>

namespace vtlab {

void fpu_init_legacy_image(u8* area) {
  std::memset(area, 0, kFpuRegsEnd);
  area[0] = 0x7f, area[1] = 0x03;  // FCW 037FH
}

void fpu_save_legacy(const Cpu&, u8* area, bool) {
  u8 init[kFpuRegsEnd];
  fpu_init_legacy_image(init);
  std::memcpy(area, init, kFpuLegacyHead);
  std::memcpy(area + kFpuRegsOffset, init + kFpuRegsOffset, kFpuRegsEnd - kFpuRegsOffset);
}

void fpu_load_legacy(Cpu&, const u8*, bool) {}

}  // namespace vtlab

// The legacy region of FXSAVE/FXRSTOR and of XSAVE's components 0 (x87)
// and 1 (SSE): SDM Vol. 1 §10.5.1, Tables 10-2 and 10-3. FXSAVE/FXRSTOR
// (cpu/handlers/sse_state.cpp) and XSAVE/XRSTOR store and load the region
// through these, so the layouts cannot drift apart.
#pragma once
#include "core/base/types.h"

namespace vtlab {

class Cpu;

inline constexpr unsigned kLegacyRegionSize = 512;

// x87 state: bytes 0-23 (FCW, FSW, abridged FTW, FOP, FIP, FDP; with
// `rex_w` the 64-bit pointer layout of FXSAVE64, otherwise offset +
// selector) and 32-159 (ST0-ST7, each in a 16-byte slot). Reserved bytes
// in those ranges are written as zero. `area` is the 512-byte region.
void save_x87_legacy(const Cpu& c, u8* area, bool rex_w);
void load_x87_legacy(Cpu& c, const u8* area, bool rex_w);

// SSE state: MXCSR and MXCSR_MASK (bytes 24-31) and the XMM registers
// (from byte 160; XMM8-15 only in 64-bit mode).
void save_sse_legacy(const Cpu& c, u8* area);
// Loads MXCSR and the XMM registers; returns false, changing nothing, if
// the MXCSR image sets a reserved bit (the caller raises #GP(0)).
bool load_sse_legacy(Cpu& c, const u8* area);
// Whether the MXCSR image of a region is loadable (for checks before any
// part of a restore happens).
bool legacy_mxcsr_valid(const u8* area);

}  // namespace vtlab

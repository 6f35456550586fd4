// The 512-byte legacy region that FXSAVE/FXRSTOR (cpu/handlers/sse_state.cpp)
// and the XSAVE family's components 0 (x87) and 1 (SSE) share
// (cpu/handlers/xsave.cpp): SDM Vol. 1 §10.5.1 Tables 10-2 and 10-3,
// §13.4.1, §13.5.1. This is the one definition of its layout; the x87
// registers behind it are cpu/x87's.
//
//   bytes 0-23    x87: FCW, FSW, abridged FTW, FOP, FIP/FCS, FDP/FDS
//   bytes 24-31   SSE: MXCSR, MXCSR_MASK
//   bytes 32-159  x87: ST0-ST7 / MM0-MM7, each in a 16-byte slot
//   bytes 160-415 SSE: XMM0-15 (XMM8-15 only in 64-bit mode)
#pragma once
#include "core/base/types.h"

namespace vtlab {

class Cpu;

inline constexpr unsigned kLegacyRegionSize = 512;
inline constexpr unsigned kFpuLegacyHead = 24, kFpuRegsOffset = 32, kFpuRegsEnd = 160;
inline constexpr unsigned kMxcsrOffset = 24, kXmmOffset = 160;

// x87 state: writes bytes 0-23 and 32-159 (reserved bytes in those ranges
// as zero; others untouched). `rex_w`: the 64-bit FIP/FDP layout
// (FXSAVE64, XSAVE64, ...) instead of offset + selector.
void save_x87_legacy(const Cpu& c, u8* area, bool rex_w);
// Loads the x87 state from those bytes (ES/B follow the loaded flags and
// masks; FERR# drops if no unmasked exception is left).
void load_x87_legacy(Cpu& c, const u8* area, bool rex_w);

// The x87 state's initial configuration (SDM Vol. 1 §13.6): FCW 037FH,
// FSW 0, every register empty, FOP, FIP/FCS, FDP/FDS 0, ST0-7 zero. XRSTOR
// loads it for XSTATE_BV[0] = 0; XINUSE[0] is 0 exactly when the state is
// in it.
void init_x87_state(Cpu& c);
bool x87_in_initial_configuration(const Cpu& c);

// SSE state: MXCSR and MXCSR_MASK (bytes 24-31) and the XMM registers.
void save_sse_legacy(const Cpu& c, u8* area);
// Loads MXCSR and the XMM registers; returns false, changing nothing, if
// the MXCSR image sets a reserved bit (the caller raises #GP(0)).
bool load_sse_legacy(Cpu& c, const u8* area);
// Whether the MXCSR image of a region is loadable (for checks before any
// part of a restore happens).
bool legacy_mxcsr_valid(const u8* area);

}  // namespace vtlab

// The x87 part of the 512-byte legacy region that FXSAVE/FXRSTOR and the
// XSAVE family share (SDM Vol. 1 Table 10-2, §13.4.1, §13.5.1): bytes 0-23
// (FCW, FSW, abridged FTW, FOP, FIP/FCS, FDP/FDS) and 32-159 (ST0-ST7 /
// MM0-MM7, each in 16 bytes). Bytes 24-31 (MXCSR, MXCSR_MASK) and 160-415
// (XMM0-15) are SSE state and not touched here.
//
// The x87 unit (its own branch of work) owns the registers behind this;
// until it lands, the x87 state is the one FNINIT leaves and loading
// changes nothing (cpu/fpu_state.cpp says so).
#pragma once
#include "core/base/types.h"

namespace vtlab {

class Cpu;

// The x87 bytes of a legacy region (the rest of an image is other state).
inline constexpr unsigned kFpuLegacyHead = 24, kFpuRegsOffset = 32, kFpuRegsEnd = 160;

// Writes the x87 state into bytes 0-23 and 32-159 of `area` (512 bytes;
// others untouched). `rex_w`: the 64-bit layout of FIP/FDP (FXSAVE64,
// XSAVE64, ...) instead of offset + selector.
void fpu_save_legacy(const Cpu& c, u8* area, bool rex_w);

// Loads the x87 state from those bytes. With the image of
// fpu_init_legacy_image() it initializes the x87 state (XRSTOR with
// XSTATE_BV[0] = 0).
void fpu_load_legacy(Cpu& c, const u8* area, bool rex_w);

// Fills bytes 0-159 of `area` with the x87 part of the initial
// configuration (SDM Vol. 1 §13.6): FCW 037FH, FSW 0, all registers empty
// (abridged FTW 0), FOP, FIP, FDP 0, ST0-7 zero; bytes 24-31 zero.
void fpu_init_legacy_image(u8* area);

}  // namespace vtlab

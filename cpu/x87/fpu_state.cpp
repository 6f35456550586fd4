// The FXSAVE/XSAVE legacy region (see cpu/fpu_state.h).
#include "cpu/fpu_state.h"

#include <cstring>

#include "cpu/sse/fp_env.h"
#include "cpu/x87/fpu.h"

namespace vtlab {
namespace {

constexpr unsigned kMaskOff = kMxcsrOffset + 4;

template <typename T>
void put(u8* a, unsigned off, T v) {
  std::memcpy(a + off, &v, sizeof v);
}
template <typename T>
T get(const u8* a, unsigned off) {
  T v;
  std::memcpy(&v, a + off, sizeof v);
  return v;
}

unsigned xmm_count(const Cpu& c) { return c.long64() ? 16 : 8; }

}  // namespace

void save_x87_legacy(const Cpu& c, u8* area, bool rex_w) {
  const X87State& f = c.x87;
  std::memset(area, 0, kFpuLegacyHead);
  put<u16>(area, 0, f.fcw);
  put<u16>(area, 2, f.fsw);
  area[4] = f.tags;
  put<u16>(area, 6, f.fop & 0x7ff);
  if (rex_w) {
    put<u64>(area, 8, f.fip);
    put<u64>(area, 16, f.fdp);
  } else {
    put<u32>(area, 8, u32(f.fip));
    put<u16>(area, 12, f.fcs);
    put<u32>(area, 16, u32(f.fdp));
    put<u16>(area, 20, f.fds);
  }
  const unsigned t = (f.fsw >> x87::sw::kTopShift) & 7;
  for (unsigned k = 0; k < 8; ++k) {
    u8* slot = area + kFpuRegsOffset + 16 * k;
    std::memset(slot, 0, 16);
    const x87::F80& v = f.r[(t + k) & 7];
    put<u64>(slot, 0, v.sig);
    put<u16>(slot, 8, v.se);
  }
}

void load_x87_legacy(Cpu& c, const u8* area, bool rex_w) {
  X87State& f = c.x87;
  f.fcw = x87::fcw_value(get<u16>(area, 0));
  f.fsw = get<u16>(area, 2);
  f.tags = area[4];
  f.fop = get<u16>(area, 6) & 0x7ff;
  if (rex_w) {
    f.fip = get<u64>(area, 8);
    f.fdp = get<u64>(area, 16);
  } else {
    f.fip = get<u32>(area, 8);
    f.fcs = get<u16>(area, 12);
    f.fdp = get<u32>(area, 16);
    f.fds = get<u16>(area, 20);
  }
  const unsigned t = (f.fsw >> x87::sw::kTopShift) & 7;
  for (unsigned k = 0; k < 8; ++k) {
    x87::F80& v = f.r[(t + k) & 7];
    v.sig = get<u64>(area, kFpuRegsOffset + 16 * k);
    v.se = get<u16>(area, kFpuRegsOffset + 16 * k + 8);
  }
  x87::update_summary(c);
}

void init_x87_state(Cpu& c) {
  X87State& f = c.x87;
  const bool ferr = f.ferr;
  f = X87State{};
  f.fcw = x87::kFinitFcw;
  f.tags = 0;
  f.ferr = ferr;
  x87::update_summary(c);  // drops FERR#
}

bool x87_in_initial_configuration(const Cpu& c) {
  const X87State& f = c.x87;
  if (f.fcw != x87::kFinitFcw || f.fsw || f.tags || f.fop || f.fip || f.fdp || f.fcs || f.fds) return false;
  for (const x87::F80& r : f.r)
    if (r.sig || r.se) return false;
  return true;
}

void save_sse_legacy(const Cpu& c, u8* area) {
  put<u32>(area, kMxcsrOffset, c.mxcsr);
  put<u32>(area, kMaskOff, sse::mx::kMask);
  std::memcpy(area + kXmmOffset, c.xmm, 16 * xmm_count(c));
}

bool legacy_mxcsr_valid(const u8* area) { return !(get<u32>(area, kMxcsrOffset) & ~sse::mx::kMask); }

bool load_sse_legacy(Cpu& c, const u8* area) {
  if (!legacy_mxcsr_valid(area)) return false;
  c.mxcsr = get<u32>(area, kMxcsrOffset);
  std::memcpy(c.xmm, area + kXmmOffset, 16 * xmm_count(c));
  return true;
}

}  // namespace vtlab

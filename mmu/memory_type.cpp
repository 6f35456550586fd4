#include "mmu/memory_type.h"

namespace vtlab {

using namespace memtype;

namespace {

constexpr u64 kMtrrEnable = u64(1) << 11, kFixedEnable = u64(1) << 10, kRangeValid = u64(1) << 11;

// The fixed-range MTRRs (§11.11.2.2, Table 11-9): 8 ranges of 64 KiB from
// 0, 16 of 16 KiB from 80000H, 64 of 4 KiB from C0000H; byte i of a
// register types its i-th range.
u8 fixed_type(const u64* fixed, u64 pa) {
  unsigned reg, byte;
  if (pa < 0x80000) {
    reg = 0, byte = unsigned(pa >> 16);
  } else if (pa < 0xc0000) {
    const unsigned i = unsigned((pa - 0x80000) >> 14);
    reg = 1 + i / 8, byte = i % 8;
  } else {
    const unsigned i = unsigned((pa - 0xc0000) >> 12);
    reg = 3 + i / 8, byte = i % 8;
  }
  return u8(fixed[reg] >> (8 * byte));
}

// Table 11-7, rows by the MTRR (or EPT) type, columns by the PAT type,
// indexed by the encodings; reserved encodings never reach it (the MSR
// writes and EPT misconfigurations refuse them) and give UC.
constexpr u8 X = kUC;
constexpr u8 kCombined[8][8] = {
    //         PAT: UC   WC   -  -  WT   WP   WB   UC-
    /* UC */ {kUC, kWC, X, X, kUC, kUC, kUC, kUC},
    /* WC */ {kUC, kWC, X, X, kUC, kUC, kWC, kWC},
    /* -- */ {X, X, X, X, X, X, X, X},
    /* -- */ {X, X, X, X, X, X, X, X},
    /* WT */ {kUC, kWC, X, X, kWT, kWP, kWT, kUC},
    /* WP */ {kUC, kWC, X, X, kWT, kWP, kWP, kWC},
    /* WB */ {kUC, kWC, X, X, kWT, kWP, kWB, kUC},
    /* -- */ {X, X, X, X, X, X, X, X},
};

}  // namespace

const char* memtype_name(u8 type) {
  static const char* const kNames[8] = {"UC", "WC", "?", "?", "WT", "WP", "WB", "UC-"};
  if (type == kNone) return "-";
  return type < 8 ? kNames[type] : "?";
}

u8 mtrr_type(const MemTypeRegs& regs, u64 pa) {
  if (!(regs.mtrr_def_type & kMtrrEnable)) return kUC;
  if ((regs.mtrr_def_type & kFixedEnable) && pa < 0x100000 && regs.mtrr_fixed) return fixed_type(regs.mtrr_fixed, pa);
  const u64 addr_mask = ((u64(1) << regs.maxphy) - 1) & ~u64(0xfff);
  unsigned matched = 0;  // bit t: a valid variable range of type t holds pa
  for (unsigned i = 0; regs.mtrr_var && i < MemTypeRegs::kVariableMtrrs; ++i) {
    const u64 base = regs.mtrr_var[2 * i], mask = regs.mtrr_var[2 * i + 1];
    if ((mask & kRangeValid) && !((pa ^ base) & mask & addr_mask)) matched |= 1u << (base & 7);
  }
  if (!matched) return u8(regs.mtrr_def_type & 0xff);
  if (!(matched & (matched - 1))) return u8(__builtin_ctz(matched));  // one type
  if (matched == ((1u << kWT) | (1u << kWB))) return kWT;
  return kUC;  // UC among them, or a mix the SDM leaves undefined
}

u8 combine_with_pat(u8 range_type, u8 pat) { return kCombined[range_type & 7][pat & 7]; }

MemoryTyping physical_typing(const MemTypeRegs& regs, u64 pa, u8 pat) {
  MemoryTyping t;
  t.range = mtrr_type(regs, pa);
  t.pat = pat;
  t.cd = regs.cd;
  t.type = regs.cd ? kUC : combine_with_pat(t.range, pat);
  return t;
}

MemoryTyping ept_typing(const MemTypeRegs& regs, u8 ept_type, bool ipat, u8 pat) {
  MemoryTyping t;
  t.range = ept_type;
  t.pat = pat;
  t.ept = true;
  t.ipat = ipat;
  t.cd = regs.cd;
  t.type = regs.cd ? kUC : ipat ? ept_type : combine_with_pat(ept_type, pat);
  return t;
}

}  // namespace vtlab

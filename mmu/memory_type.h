// Memory types of physical and guest-physical accesses (SDM Vol. 3A ch. 11
// "Memory Cache Control" (ch. 12 in later editions): §11.11 MTRRs, §11.12
// PAT, Table 11-7; §4.9.2 "Paging and Memory Typing When the PAT is
// Supported"; Vol. 3C §28.2.7 "EPT and Memory Typing" (§29.3.7 later)).
//
// vtlab models no caches, so a memory type changes nothing an access does:
// the walks record the type of every access for the debugger (WalkStep,
// MemoryTyping), computed as the SDM says. What the SDM makes visible
// architecturally lives elsewhere: #GP for reserved types written to the
// MTRRs and the PAT (cpu/msr.cpp), EPT misconfigurations for the reserved
// EPT memory types 2, 3 and 7 (mmu/ept_format.h), the EPTP memory types of
// IA32_VMX_EPT_VPID_CAP (mmu/ept.h) checked at VM entry and by INVEPT.
#pragma once
#include "core/base/types.h"

namespace vtlab {

namespace memtype {
inline constexpr u8 kUC = 0, kWC = 1, kWT = 4, kWP = 5, kWB = 6, kUCMinus = 7;  // Table 11-10 encodings
inline constexpr u8 kNone = 0xff;  // no memory access (a PAE PDPTE register), or not computed
}  // namespace memtype

// "UC", "WC", "WT", "WP", "WB", "UC-"; "-" for kNone; "?" for a reserved encoding.
const char* memtype_name(u8 type);

// The registers that select memory types; the CPU fills it for a walk whose
// accesses are to be typed (WalkRequest::memtypes).
struct MemTypeRegs {
  static constexpr unsigned kVariableMtrrs = 8;  // IA32_MTRRCAP.VCNT
  bool cd = false;                               // CR0.CD: caching disabled
  bool pcide = false;                            // CR4.PCIDE: CR3 bits 11:0 are a PCID, not PCD/PWT
  u64 pat = 0x0007040600070406ull;
  u64 mtrr_def_type = 0;            // IA32_MTRR_DEF_TYPE: type 7:0, FE bit 10, E bit 11
  const u64* mtrr_var = nullptr;    // PHYSBASE0, PHYSMASK0, ... PHYSMASK7 (nullptr: none)
  const u64* mtrr_fixed = nullptr;  // FIX64K_00000, FIX16K_80000, FIX16K_A0000, FIX4K_C0000 .. F8000
  unsigned maxphy = 46;             // MAXPHYADDR: the width of the variable ranges' masks
};

// Entry `index` (0-7) of IA32_PAT (§11.12.3, Table 11-11).
inline u8 pat_type(u64 pat, unsigned index) { return u8((pat >> (8 * (index & 7))) & 7); }

// PAT index of an access to a paging-structure entry whose table the entry
// (or CR3) `ref` points to: 2*PCD + PWT, bits 4:3 of `ref` (§4.9.2).
inline unsigned table_pat_index(u64 ref) { return unsigned(ref >> 3) & 3; }

// The MTRRs' type for physical address `pa` (§11.11.4.1 "MTRR
// Precedences"): UC with the MTRRs disabled; the fixed ranges below 1 MiB
// when enabled; else the variable ranges that match (one type if they agree,
// UC if any is UC, WT for WT with WB; other overlaps are undefined in the
// SDM and vtlab gives UC); else the default type.
u8 mtrr_type(const MemTypeRegs& regs, u64 pa);

// Table 11-7: the effective type of an MTRR (or EPT, §28.2.7.2) type and a
// PAT type.
u8 combine_with_pat(u8 range_type, u8 pat);

// What made the memory type of an access: the walk's record of its final
// access (WalkResult::typing).
struct MemoryTyping {
  u8 type = memtype::kNone;   // the effective memory type
  u8 range = memtype::kNone;  // the MTRRs' type (without EPT) or EPT's (bits 5:3 of the EPT leaf)
  u8 pat = memtype::kNone;    // the PAT type selected (WB with CR0.PG = 0)
  bool ept = false;           // `range` is EPT's: a guest-physical access translated by EPT
  bool ipat = false;          // EPT "ignore PAT" (bit 6 of the EPT leaf): `pat` played no part
  bool cd = false;            // CR0.CD = 1: UC whatever the rest says
};

// An access to physical address `pa` without EPT (§4.9.2, Table 11-7).
// With CR0.CD = 1 vtlab records UC (the SDM's no-fill cache mode, Table
// 11-5: nothing new is cached).
MemoryTyping physical_typing(const MemTypeRegs& regs, u64 pa, u8 pat);

// An access to a guest-physical address that EPT translated with a leaf of
// memory type `ept_type` and ignore-PAT `ipat` (§28.2.7.2): UC with CR0.CD
// = 1; the EPT type with ignore-PAT; else Table 11-7 with the EPT type in
// place of the MTRRs'. The MTRRs play no part.
MemoryTyping ept_typing(const MemTypeRegs& regs, u8 ept_type, bool ipat, u8 pat);

// An access to an EPT paging structure (§28.2.7.1): UC with CR0.CD = 1,
// else the EPTP's memory type (bits 2:0: 0 UC, 6 WB). Neither the MTRRs nor
// the PAT play a part.
inline u8 ept_structure_type(bool cd, u64 eptp) { return cd ? memtype::kUC : u8(eptp & 7); }

}  // namespace vtlab

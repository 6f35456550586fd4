// Guest page walks. The CPU passes everything a walk needs (DESIGN: mmu does
// not know the CPU). Each walk can return its list of table reads so the
// debugger can draw it level by level.
//
// Implemented: 4-level and 5-level (IA-32e) paging with 1 GiB / 2 MiB / 4 KiB
// pages, A/D updates, NX, WP, U/S and reserved-bit checks (SDM Vol. 3A §4.5,
// §4.6 for access rights, §4.7 for the page-fault error code).
// Legacy 32-bit and PAE paging, SMEP/SMAP, PKU and EPT plug in here later.
#pragma once
#include <vector>

#include "core/base/types.h"
#include "mmu/phys_mem.h"

namespace vtlab {

enum class Access : u8 { Read = 0, Write = 1, Exec = 2 };

enum class PagingMode : u8 { None, Level4, Level5 };

struct WalkRequest {
  PagingMode mode = PagingMode::Level4;
  u64 cr3 = 0;
  u64 linear = 0;
  Access access = Access::Read;
  bool user = false;  // CPL 3 access (not an implicit supervisor access)
  bool wp = true;     // CR0.WP
  bool nxe = false;   // EFER.NXE
};

struct WalkStep {
  int level;       // 5..1: PML5, PML4, PDPT, PD, PT
  u64 entry_pa;    // guest-physical address of the entry read
  u64 entry;       // its value (after A/D update)
};

struct WalkResult {
  bool ok = false;
  u64 pa = 0;             // translated address (valid when ok)
  u64 page_size = 4096;   // size of the mapping that translated it
  bool writable = false;  // effective rights of the whole path
  bool user = false;
  bool executable = true;
  u32 pf_error = 0;       // #PF error code when !ok (SDM §4.7)
};

// Physical address width the CPU reports (CPUID.80000008H:EAX[7:0]).
inline constexpr unsigned kMaxPhysAddrBits = 46;

// Walks and updates A/D bits. Does not raise: a failed walk returns the
// error code and the caller raises #PF.
WalkResult walk_page_tables(PhysMem& mem, const WalkRequest& req, std::vector<WalkStep>* trace = nullptr);

}  // namespace vtlab

// Guest page walks in every paging mode (SDM Vol. 3A ch. 4). The CPU passes
// everything a walk needs in a WalkRequest (DESIGN: mmu does not know the
// CPU); the walk returns the translation, or the #PF error code.
//
//   32-bit paging (§4.3): 4 KiB pages, 4 MiB pages with CR4.PSE, PSE-36
//     (physical bits 39:32 of a 4 MiB page in PDE bits 20:13).
//   PAE paging (§4.4): the four PDPTEs come from registers the CPU loads on
//     MOV to CR0/CR3/CR4 (load_pae_pdptes), 2 MiB and 4 KiB pages, XD.
//   4- and 5-level paging (§4.5): 1 GiB, 2 MiB and 4 KiB pages, XD,
//     protection keys.
//   Access rights (§4.6, access_rights.h): U/S, R/W with CR0.WP, XD with
//     EFER.NXE, SMEP, SMAP with EFLAGS.AC and implicit supervisor accesses,
//     protection keys (CR4.PKE, PKRU).
//   A/D flags (§4.8): on a permitted access, A is set in every entry used
//     and, on a write, D in the entry that maps the page.
//   #PF error code (§4.7): P, W/R, U/S, RSVD, I/D, PK.
//
// The walking loop is one template (mmu/walker.h) over the entry format
// (mmu/guest_formats.h, mmu/ept_format.h). In VMX non-root operation with
// EPT (WalkRequest::ept), the walk is two-dimensional: every guest table
// entry's guest-physical address and the final guest-physical address are
// translated through EPT (mmu/ept_walk.h, docs/ept.md). Every walk can
// return its list of table reads (WalkStep), guest and EPT, for the
// debugger, and with WalkRequest::memtypes the memory type of each access
// and of the final one (mmu/memory_type.h; recorded, not applied: vtlab has
// no caches).
#pragma once
#include <vector>

#include "core/base/types.h"
#include "mmu/ept.h"
#include "mmu/memory_type.h"
#include "mmu/phys_mem.h"

namespace vtlab {

enum class Access : u8 { Read = 0, Write = 1, Exec = 2 };

enum class PagingMode : u8 { None, Legacy32, Pae, Level4, Level5 };

// Physical address width the CPU reports (CPUID.80000008H:EAX[7:0]).
inline constexpr unsigned kMaxPhysAddrBits = 46;

// Page-fault error code bits (SDM Vol. 3A §4.7).
namespace pf {
inline constexpr u32 kPresent = 1, kWrite = 2, kUser = 4, kRsvd = 8, kFetch = 16, kPk = 32;
}

struct EptContext;

struct WalkRequest {
  PagingMode mode = PagingMode::Level4;
  u64 cr3 = 0;
  u64 linear = 0;
  Access access = Access::Read;
  bool user = false;      // user-mode access (CPL 3, not an implicit supervisor access)
  bool implicit = false;  // implicit supervisor-mode access (GDT/IDT/TSS, SDM §4.6.1)
  bool wp = true;         // CR0.WP
  bool nxe = false;       // EFER.NXE
  bool pse = false;       // CR4.PSE (32-bit paging: 4 MiB pages)
  bool smep = false;      // CR4.SMEP
  bool smap = false;      // CR4.SMAP
  bool ac = false;        // EFLAGS.AC (SMAP override for explicit accesses)
  bool pke = false;       // CR4.PKE
  u32 pkru = 0;
  const u64* pdpte = nullptr;  // PAE: the four PDPTE registers
  bool set_ad = true;          // false: a look-only walk (debugger)
  // VMX non-root operation with EPT: guest-physical addresses (of table
  // entries, and the result) are translated through EPT (mmu/ept_walk.h).
  EptContext* ept = nullptr;
  // The registers that select memory types (PAT, MTRRs, CR0.CD, CR4.PCIDE):
  // when set, the walk records the memory type of each table access it
  // traces (WalkStep::memtype) and of the final access (WalkResult::typing).
  // The debugger's walks set it; the CPU's own walks do not need it.
  const MemTypeRegs* memtypes = nullptr;
};

struct WalkStep {
  int level;                   // 5..1: PML5, PML4, PDPT, PD, PT (32-bit paging: 2, 1)
  u64 entry_pa;                // address of the entry: guest-physical (guest tables), host-physical (EPT)
  u64 entry;                   // its value (after the A/D update)
  bool from_register = false;  // a PAE PDPTE: read from the PDPTE register, not memory
  // Two-dimensional walks: an EPT step belongs to the EPT walk that
  // translates `gpa` (a guest entry's address, or at the end the final
  // guest-physical address); those steps come before the guest step that
  // reads that entry.
  bool ept = false;
  u64 gpa = 0;
  // The memory type of this access (WalkRequest::memtypes; memtype::kNone
  // without, and for a PDPTE register): a guest table entry without EPT,
  // PAT (entry 2*PCD+PWT of CR3 or of the entry that points to the table)
  // with the MTRRs; a guest table entry through EPT, that PAT entry with
  // the EPT type of its page; an EPT table entry, the EPTP's type (SDM Vol.
  // 3A §4.9.2, Vol. 3C §28.2.7).
  u8 memtype = memtype::kNone;
};

// A successful translation as the TLB keeps it: the page and the rights of
// the whole path (SDM §4.6: R/W and U/S of every level, XD of any level).
struct Translation {
  u64 frame = 0;          // physical base of the page (aligned to its size)
  u8 page_shift = 12;     // 12, 21, 22 (4 MiB) or 30
  u8 pkey = 0;            // protection key of the page (4/5-level paging)
  bool writable = false;  // R/W = 1 at every level
  bool user = false;      // U/S = 1 at every level: a user-mode address
  bool nx = false;        // XD = 1 at some level (with EFER.NXE)
  bool global = false;    // G in the entry that maps the page
  bool dirty = false;     // D in the entry that maps the page
  // With EPT (a combined mapping, SDM Vol. 3C §28.3.1): the EPT rights of
  // the page (ept_bits::kR/kW/kX/kUserX as a mask; all without EPT), whether
  // its EPT D flag is set (or EPT A/D is off: a write needs no walk), and
  // the size of the guest's page when EPT maps it in smaller pages (the
  // entry is the smaller of the two; INVLPG drops the guest page's pieces).
  u8 ept_rights = 0xf;
  bool ept_dirty = true;
  u8 guest_shift = 0;  // 0: the guest page is this entry's page
  u64 page_size() const { return u64(1) << page_shift; }
  unsigned guest_page_shift() const { return guest_shift ? guest_shift : page_shift; }
};

struct WalkResult {
  bool ok = false;
  u64 pa = 0;            // translated address (valid when ok): host-physical with EPT
  u64 page_size = 4096;  // size of the mapping that translated it
  Translation translation;
  u32 pf_error = 0;  // #PF error code when !ok (SDM §4.7)
  // With EPT: the guest-physical address (when ok), or the EPT violation,
  // misconfiguration or PML-full event that stopped the translation (then
  // !ok and pf_error is 0).
  u64 gpa = 0;
  EptFault ept_fault;
  // The memory type of the access and what made it (when ok, with
  // WalkRequest::memtypes).
  MemoryTyping typing;
};

// Walks, checks the access rights and (if req.set_ad) updates A/D. Does not
// raise: a failed walk returns the error code and the caller raises #PF.
WalkResult walk_page_tables(PhysMem& mem, const WalkRequest& req, std::vector<WalkStep>* trace = nullptr);

// The #PF error code for `req` refused on a translation `t`, or 0 if the
// access is allowed (SDM §4.6, §4.7). Shared by the walk and the TLB.
u32 access_fault(const WalkRequest& req, const Translation& t);
// The error code bits every #PF of this request has: W/R, U/S, I/D.
u32 pf_error_base(const WalkRequest& req);

// PAE paging: reads the four PDPTEs from the 32-byte table at CR3[31:5]
// (SDM §4.4.1). Returns false if a present PDPTE has a reserved bit set; the
// MOV to CR that loads them then raises #GP(0) and changes nothing.
bool load_pae_pdptes(PhysMem& mem, u64 cr3, u64 out[4]);
// The same from the table at physical address `table` (32-byte aligned): a
// guest's CR3 translated through EPT.
bool read_pae_pdptes(PhysMem& mem, u64 table, u64 out[4]);

}  // namespace vtlab

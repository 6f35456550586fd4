// Guest-physical -> host-physical translation through EPT (SDM Vol. 3C
// §28.2), on the one walker template (mmu/walker.h) with the EPT entry
// format (mmu/ept_format.h), and the pieces of the two-dimensional walk of a
// guest's linear address (mmu/paging.cpp): each guest table entry is read
// and updated through EPT, and the final guest-physical address is
// translated last.
//
// Access kinds (§28.2.3.2): a data read needs R, a data write W, an
// instruction fetch X (with mode-based execute control: X for a
// supervisor-mode linear address, bit 10 for a user-mode one). The
// processor's reads of guest paging structures are data reads, its A/D
// updates of them data writes; with EPT A/D on (EPTP bit 6) its accesses to
// guest paging structures count as writes (and set the EPT dirty flag),
// except the PAE PDPTE loads of MOV to CR, which are reads.
//
// A/D flags for EPT (§28.2.4): on a permitted access, A is set in every EPT
// entry used and, for a write, D in the entry that maps the page. Page-
// modification logging (§28.2.5): when D goes from 0 to 1 and PML is on, the
// 4 KiB-aligned guest-physical address is first written to the log at
// PML address + 8 * index and the index decremented; an index outside
// 0..511 is a PML-full event instead, and nothing is set.
#pragma once
#include <vector>

#include "mmu/ept.h"
#include "mmu/ept_format.h"
#include "mmu/gpa_tlb.h"
#include "mmu/paging.h"

namespace vtlab {

// What one guest-physical translation needs besides the address.
struct EptContext {
  PhysMem& mem;
  SecondLevel& sl;          // EPTP and controls; the PML index is advanced here
  GpaTlb* cache = nullptr;  // guest-physical mappings (nullptr: walk every time)
  bool set_ad = true;       // false: look only (debugger): no A/D flags, no PML, no cache
  // Set: a trace records the memory type of EPT table reads (the EPTP's,
  // UC with CR0.CD; SDM Vol. 3C §28.2.7.1). The debugger's walks set it.
  const MemTypeRegs* types = nullptr;
  // Host-physical address of the APIC-access page while "virtualize APIC
  // accesses" is on (~0 otherwise): a guest paging-structure access whose
  // translation lands there is an APIC-access fault (SDM Vol. 3C §30.4.6.2).
  u64 apic_access_page = ~u64(0);
  bool on_apic_access_page(u64 hpa) const { return (hpa & ~u64(0xfff)) == apic_access_page; }
};

struct EptResult {
  EptFaultKind fault = EptFaultKind::None;
  GpaTranslation t;          // when fault is None
  u8 path_rights = 0;        // a violation: AND of entry_rights() along the path (0 at a not-present entry)
  bool suppress_ve = false;  // a violation: bit 63 of the last entry used
};

// The rights (ept_bits::kNeed*) an access to a linear address's
// translation needs; `user_linear`: the linear address is a user-mode
// address (U/S = 1 at every level, or paging off).
inline u8 ept_need(Access acc, bool mode_based_exec, bool user_linear) {
  if (acc == Access::Write) return ept_bits::kNeedW;
  if (acc == Access::Read) return ept_bits::kNeedR;
  return mode_based_exec && user_linear ? ept_bits::kNeedUserX : ept_bits::kNeedX;
}
// An access of the processor to a guest paging-structure entry.
inline u8 ept_table_need(const SecondLevel& sl) {
  return sl.access_dirty() ? u8(ept_bits::kNeedR | ept_bits::kNeedW) : ept_bits::kNeedR;
}
// Whether a combined mapping's EPT rights allow `acc` with no walk (a write
// also needs the EPT D flag set).
inline bool ept_permits(const Translation& t, Access acc, bool mode_based_exec) {
  const u8 need = ept_need(acc, mode_based_exec, t.user);
  return (t.ept_rights & need) == need && (acc != Access::Write || t.ept_dirty);
}

EptResult ept_translate(EptContext& ctx, u64 gpa, u8 need, std::vector<WalkStep>* trace = nullptr);

// How a guest-physical access relates to a linear address (exit
// qualification bits 7-11, Table 27-7).
struct LinearInfo {
  bool valid = false;       // there is a linear address (every access but a PDPTE load)
  bool translated = false;  // the GPA is its translation (not a guest table entry)
  u64 gla = 0;
  bool user = false, writable = false, nx = false;  // the translation's U/S, R/W, XD (when translated)
};

EptFault ept_fault_record(const SecondLevel& sl, const EptResult& r, u64 gpa, u8 need, const LinearInfo& lin);
// The APIC-access fault of a guest-physical access to host-physical `hpa`
// on the APIC-access page (access type 15, SDM Vol. 3C Table 27-6).
EptFault apic_access_fault_record(u64 gpa, u64 hpa);

// The guest's tables seen through EPT, for walk_tables (mmu/walker.h).
struct NestedTables {
  EptContext& ctx;
  u64 gla;                             // the linear address whose walk this is
  const MemTypeRegs* types = nullptr;  // WalkRequest::memtypes
  EptFault fault{};                    // why an access was refused
  GpaTranslation last{};               // what EPT gave for the last table read
  bool read(u64 gpa, unsigned bytes, u64& value, std::vector<WalkStep>* trace);
  bool write(u64 gpa, unsigned bytes, u64 value, std::vector<WalkStep>* trace);
  // A guest table read is a guest-physical access: its PAT entry (from
  // `ref`, §4.9.2) combined with the EPT type of its page (§28.2.7.2).
  u8 memory_type(u64 gpa, u64 ref) const;
};

// After the guest walk found guest-physical address r.pa: translates it
// through EPT for req.access and makes r a combined translation (pa
// host-physical, gpa set, the page the smaller of the two, and with
// req.memtypes the typing of the access from r.typing.pat and the EPT
// leaf), or records the EPT fault in r.ept_fault (r.ok false).
void finish_nested_walk(EptContext& ctx, const WalkRequest& req, WalkResult& r, std::vector<WalkStep>* trace);

}  // namespace vtlab

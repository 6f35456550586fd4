// Access rights of a translation (SDM Vol. 3A §4.6) and the #PF error code
// (§4.7). One definition for the page walk and for TLB hits: the TLB keeps
// the rights bits of a translation, and the decision is made on every access
// with the current CR0.WP, CR4.SMEP/SMAP/PKE, EFLAGS.AC and PKRU.
#include "mmu/paging.h"

namespace vtlab {

u32 pf_error_base(const WalkRequest& r) {
  u32 e = 0;
  if (r.access == Access::Write) e |= pf::kWrite;
  if (r.user) e |= pf::kUser;
  // I/D: an instruction fetch, reported when SMEP is on or XD exists
  // (PAE or 4/5-level paging with EFER.NXE=1).
  if (r.access == Access::Exec && (r.smep || (r.nxe && r.mode != PagingMode::Legacy32))) e |= pf::kFetch;
  return e;
}

u32 access_fault(const WalkRequest& r, const Translation& t) {
  // Protection keys (§4.6.2) apply to data accesses to user-mode addresses
  // with 4/5-level paging and CR4.PKE=1, from user and supervisor mode.
  const bool keys =
      r.pke && (r.mode == PagingMode::Level4 || r.mode == PagingMode::Level5) && t.user && r.access != Access::Exec;
  const bool access_disabled = keys && ((r.pkru >> (2 * t.pkey)) & 1);
  const bool write_disabled = keys && ((r.pkru >> (2 * t.pkey + 1)) & 1);
  // WD stops supervisor writes only when CR0.WP=1. These are also exactly
  // the conditions for the PK bit of the error code (§4.7).
  const bool key_fault = access_disabled || (write_disabled && r.access == Access::Write && (r.wp || r.user));

  bool denied;
  if (r.access == Access::Exec) {
    // User fetches need a user-mode address; supervisor fetches from one
    // are refused by SMEP. XD (t.nx, only with NXE) refuses both.
    denied = t.nx || (r.user ? !t.user : (t.user && r.smep));
  } else if (r.user) {
    denied = !t.user || (r.access == Access::Write && !t.writable) || key_fault;
  } else if (t.user && r.smap && (r.implicit || !r.ac)) {
    // SMAP: supervisor data accesses to user-mode addresses are refused
    // unless explicit with EFLAGS.AC=1.
    denied = true;
  } else {
    denied = (r.access == Access::Write && r.wp && !t.writable) || (t.user && key_fault);
  }
  if (!denied) return 0;
  return pf_error_base(r) | pf::kPresent | (key_fault ? pf::kPk : 0);
}

}  // namespace vtlab

// The guest segment-register fields of the VMCS, by SegReg (ES CS SS DS FS
// GS), so entry, exit and the checks walk them alike.
#pragma once
#include "cpu/state.h"
#include "cpu/vmx/vmcs.h"

namespace vtlab::vmx {

struct SegFields {
  u16 Vmcs::*selector;
  u64 Vmcs::*base;
  u32 Vmcs::*limit;
  u32 Vmcs::*ar;
};
inline constexpr SegFields kGuestSegs[kNumSegs] = {
    {&Vmcs::guest_es_selector, &Vmcs::guest_es_base, &Vmcs::guest_es_limit, &Vmcs::guest_es_ar},
    {&Vmcs::guest_cs_selector, &Vmcs::guest_cs_base, &Vmcs::guest_cs_limit, &Vmcs::guest_cs_ar},
    {&Vmcs::guest_ss_selector, &Vmcs::guest_ss_base, &Vmcs::guest_ss_limit, &Vmcs::guest_ss_ar},
    {&Vmcs::guest_ds_selector, &Vmcs::guest_ds_base, &Vmcs::guest_ds_limit, &Vmcs::guest_ds_ar},
    {&Vmcs::guest_fs_selector, &Vmcs::guest_fs_base, &Vmcs::guest_fs_limit, &Vmcs::guest_fs_ar},
    {&Vmcs::guest_gs_selector, &Vmcs::guest_gs_base, &Vmcs::guest_gs_limit, &Vmcs::guest_gs_ar},
};
inline constexpr u16 Vmcs::*kHostSelectors[kNumSegs] = {&Vmcs::host_es_selector, &Vmcs::host_cs_selector,
                                                        &Vmcs::host_ss_selector, &Vmcs::host_ds_selector,
                                                        &Vmcs::host_fs_selector, &Vmcs::host_gs_selector};

}  // namespace vtlab::vmx

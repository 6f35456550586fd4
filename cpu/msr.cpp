// RDMSR/WRMSR semantics and CPUID as this vCPU answers it. The rows (which
// MSRs exist, reset values, reserved bits) are in cpu/msr_table.cpp; this
// file holds the rules of the Special rows (SDM Vol. 4 ch. 2, Vol. 3A
// §10.4.4 APIC base, §11.11 MTRRs, §11.12 PAT, §17.17 TSC).
#include "cpu/cpu.h"
#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"
#include "cpu/vmx/capabilities.h"

namespace vtlab {

CpuidContext Cpu::cpuid_context() const {
  CpuidContext ctx;
  ctx.apic_id = topology_.apic_id;
  ctx.cpu_count = topology_.count;
  ctx.insns_per_us = sched_.insns_per_us();
  ctx.apic_enabled = apic_ && (msr.apic_base & apic_base::kEnable);
  ctx.x2apic = apic_ && apic_->x2apic_supported();
  ctx.tsc_deadline = apic_ && apic_->tsc_deadline_supported();
  ctx.limit_cpuid = msr.misc_enable & misc_enable::kLimitCpuid;
  ctx.xd_disable = msr.misc_enable & misc_enable::kXdDisable;
  ctx.monitor_disabled = !(msr.misc_enable & misc_enable::kMonitorEnable);
  return ctx;
}

void Cpu::cpuid(u32 leaf, u32 subleaf, u32 out[4]) const {
  cpuid_lookup(cpuid_context(), leaf, subleaf, out);
  // Bits that mirror control registers (SDM Vol. 2 CPUID): OSPKE = CR4.PKE,
  // OSXSAVE = CR4.OSXSAVE.
  if (leaf == 7 && subleaf == 0 && (cr4 & cr4::PKE)) out[2] |= cpuid_bit_mask(feature::OSPKE);
  if (leaf == 1 && (cr4 & cr4::OSXSAVE)) out[2] |= cpuid_bit_mask(feature::OSXSAVE);
}

bool Cpu::reports(const CpuidBit& b) const {
  u32 r[4];
  cpuid(b.leaf, b.subleaf, r);
  return r[unsigned(b.reg)] & cpuid_bit_mask(b);
}

namespace {

// MTRR values (SDM Vol. 3A §11.11.2): a valid type in each type field,
// nothing in reserved bits.
bool valid_variable_mtrr(u32 index, u64 v) {
  const u64 above = ~((u64(1) << kMaxPhysAddrBits) - 1);
  if ((index - msr_index::kMtrrPhysBase0) % 2 == 0) return !(v & (above | 0xf00)) && valid_memory_type(v & 0xff, false);
  return !(v & (above | 0x7ff));
}

bool all_bytes_valid_types(u64 v, bool pat) {
  for (int i = 0; i < 8; ++i)
    if (!valid_memory_type((v >> (8 * i)) & 0xff, pat)) return false;
  return true;
}

// IA32_APIC_BASE state transitions (SDM Vol. 3A §10.12.5, Figure 10-27):
// EXTD without EN is invalid, and x2APIC mode goes back only through
// disabled.
bool valid_apic_transition(u64 from, u64 to) {
  const bool to_en = to & apic_base::kEnable, to_x2 = to & apic_base::kExtd;
  const bool from_en = from & apic_base::kEnable, from_x2 = from & apic_base::kExtd;
  if (to_x2 && !to_en) return false;
  if (from_en && from_x2 && to_en && !to_x2) return false;
  if (!from_en && to_en && to_x2) return false;
  return true;
}

}  // namespace

bool Cpu::read_msr(u32 index, u64& out) {
  const MsrDesc* d = find_msr(index);
  if (!d || (d->needs && !reports(*d->needs))) return false;
  switch (d->kind) {
    case MsrKind::Constant:
      out = d->value;
      return true;
    case MsrKind::Stored:
      out = *d->slot(msr, index);
      return true;
    case MsrKind::Special:
      break;
  }
  using namespace msr_index;
  switch (index) {
    case kTsc:
      out = tsc();
      return true;
    case kEfer:
      out = efer;
      return true;
    case kFsBase:
      out = seg[FS].base;
      return true;
    case kGsBase:
      out = seg[GS].base;
      return true;
    case kPlatformInfo: {
      // Ratios of the 100 MHz bus clock: the virtual clock rate in MHz / 100.
      const u64 ratio = std::min<u64>(std::max<u64>(sched_.insns_per_us() / 100, 1), 255);
      out = ratio << 8 | ratio << 40;
      return true;
    }
    case kTscDeadline:
      sync_time();
      out = apic_ ? apic_->tsc_deadline() : msr.tsc_deadline;
      return true;
    default:
      if (index >= vmx::cap_msr::kFirst && index <= vmx::cap_msr::kLast) return vmx::read_capability_msr(index, out);
      if (index >= kX2apicFirst && index <= kX2apicLast) {
        sync_time();  // the APIC timer's current count is a function of the tick
        return (msr.apic_base & apic_base::kExtd) && apic_->x2apic_read(index, out);
      }
      if (index >= kMc0Ctl && index <= kMcLastBankMsr && (index - kMc0Ctl) % 4 != 0) {
        out = 0;  // MCi_STATUS, MCi_ADDR, MCi_MISC: no error logged
        return true;
      }
      out = *d->slot(msr, index);
      return true;
  }
}

bool Cpu::write_msr(u32 index, u64 v) {
  const MsrDesc* d = find_msr(index);
  if (!d || (d->needs && !reports(*d->needs))) return false;
  switch (d->kind) {
    case MsrKind::Constant:
      return d->flags & msr_flag::kWriteIgnored;
    case MsrKind::Stored:
      if (v & d->reserved) return false;
      *d->slot(msr, index) = v;
      return true;
    case MsrKind::Special:
      break;
  }
  using namespace msr_index;
  switch (index) {
    case kTsc:
      msr.tsc_adjust = v - (icount_ + insns_this_block());
      return true;
    case kEfer: {
      u64 writable = efer::SCE | efer::LME | efer::NXE;
      if (msr.misc_enable & misc_enable::kXdDisable) writable &= ~efer::NXE;  // NX is not reported
      if (v & ~(writable | efer::LMA)) return false;
      if ((cr0 & cr0::PG) && ((v ^ efer) & efer::LME)) return false;
      const u64 old = efer;
      efer = (v & writable) | (efer & efer::LMA);
      update_paging_mode();
      // XD becomes a rights bit or a reserved bit: start from an empty TLB
      // (the SDM leaves this open; invalidating is always allowed).
      if ((old ^ efer) & efer::NXE) flush_tlb(TlbFlush::All);
      mode_changed();
      return true;
    }
    case kPlatformInfo:
      return false;  // read-only
    case kFsBase:
    case kGsBase:
      if (!is_canonical(v)) return false;
      seg[index == kFsBase ? FS : GS].base = v;
      return true;
    case kSysenterEsp:
    case kSysenterEip:
    case kLstar:
    case kCstar:
    case kKernelGsBase:
      // Addresses must be canonical (SDM Vol. 4: #GP if not).
      if (!is_canonical(v)) return false;
      *d->slot(msr, index) = v;
      return true;
    case kFeatureControl:
      if ((msr.feature_control & kFeatureControlLock) || (v & d->reserved)) return false;
      msr.feature_control = v;
      return true;
    case kMiscEnable: {
      if (v & d->reserved) return false;
      // BTS/PEBS unavailable are read-only ones; writes do not change them.
      constexpr u64 ro = misc_enable::kBtsUnavailable | misc_enable::kPebsUnavailable;
      msr.misc_enable = (v & ~ro) | ro;
      return true;
    }
    case kApicBase: {
      u64 reserved = d->reserved;
      if (!apic_ || !apic_->x2apic_supported()) reserved |= apic_base::kExtd;
      if ((v & reserved) || !valid_apic_transition(msr.apic_base, v)) return false;
      msr.apic_base = v;
      if (apic_) {
        sync_time();
        apic_->apic_base_written(v);
      }
      end_block();  // CPUID.1:EDX.APIC follows EN
      return true;
    }
    case kPat:
      if (!all_bytes_valid_types(v, true)) return false;
      msr.pat = v;
      return true;
    case kMtrrDefType:
      if ((v & d->reserved) || !valid_memory_type(v & 0xff, false)) return false;
      msr.mtrr_def_type = v;
      return true;
    case kTscDeadline:
      sync_time();  // the deadline is compared with the TSC of this instruction
      msr.tsc_deadline = v;
      if (apic_) apic_->tsc_deadline_written(v);
      return true;
    default:
      if (index >= vmx::cap_msr::kFirst && index <= vmx::cap_msr::kLast) return false;  // read-only
      if (index >= kX2apicFirst && index <= kX2apicLast) {
        sync_time();  // an IPI or timer write takes effect at this instruction
        return (msr.apic_base & apic_base::kExtd) && apic_->x2apic_write(index, v);
      }
      if (index >= kMc0Ctl && index <= kMcLastBankMsr) {
        if ((index - kMc0Ctl) % 4 != 0) return v == 0;  // STATUS, ADDR, MISC: only zeros
        *d->slot(msr, index) = v;                       // MCi_CTL: every bit an enable
        return true;
      }
      if (index >= kMtrrPhysBase0 && index <= kMtrrPhysMask7) {
        if (!valid_variable_mtrr(index, v)) return false;
      } else if (!all_bytes_valid_types(v, false)) {  // the fixed-range MTRRs
        return false;
      }
      *d->slot(msr, index) = v;
      return true;
  }
}

}  // namespace vtlab

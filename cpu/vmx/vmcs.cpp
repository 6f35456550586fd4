#include "cpu/vmx/vmcs.h"

#include <cstddef>
#include <cstring>

#include "cpu/vmx/capabilities.h"
#include "mmu/phys_mem.h"

namespace vtlab::vmx {
namespace {

constexpr FieldInfo kFields[] = {
#define VMCS_FIELD(NAME, member, enc, width, access, group, needs) \
  {enc,                                                            \
   #NAME,                                                          \
   FieldWidth::width,                                              \
   FieldAccess::access,                                            \
   FieldGroup::group,                                              \
   FieldNeeds::needs,                                              \
   u32(offsetof(Vmcs, member))},
#include "cpu/vmx/vmcs_fields.def"
#undef VMCS_FIELD
};

// The width and access columns say what the encoding says (SDM §25.11.2):
// a row that disagrees does not compile.
#define VMCS_FIELD(NAME, member, enc, width, access, group, needs)                                          \
  static_assert(((enc)&1) == 0, #NAME ": a full encoding has bit 0 clear");                                 \
  static_assert(((enc) >> 13 & 3) == u32(FieldWidth::width), #NAME ": width column and encoding disagree"); \
  static_assert((((enc) >> 10 & 3) == 1) == (FieldAccess::access == FieldAccess::RO),                       \
                #NAME ": read-only fields are exactly the VM-exit information fields (type 1)");
#include "cpu/vmx/vmcs_fields.def"
#undef VMCS_FIELD

constexpr bool field_encodings_unique() {
  for (size_t i = 0; i < std::size(kFields); ++i)
    for (size_t j = i + 1; j < std::size(kFields); ++j)
      if (kFields[i].encoding == kFields[j].encoding) return false;
  return true;
}
static_assert(field_encodings_unique());
static_assert(kFieldsOffset + 8 * std::size(kFields) <= kVmcsRegionSize, "the fields fit in the VMCS region");

unsigned width_bytes(FieldWidth w) {
  switch (w) {
    case FieldWidth::W16:
      return 2;
    case FieldWidth::W32:
      return 4;
    default:
      return 8;
  }
}

}  // namespace

std::span<const FieldInfo> vmcs_fields() { return kFields; }

const char* group_name(FieldGroup g) {
  static constexpr const char* kNames[] = {
      "guest-state (registers)", "guest-state (non-register)", "host-state",         "VM-execution control",
      "VM-exit control",         "VM-entry control",           "VM-exit information"};
  return kNames[unsigned(g)];
}

bool field_exists(const FieldInfo& f) {
  switch (f.needs) {
    case FieldNeeds::Always:
      return true;
    case FieldNeeds::Vpid:
      return supports_proc2(proc2::kEnableVpid);
    case FieldNeeds::PostedInterrupts:
      return supports_pin(pin::kPostedInterrupts);
    case FieldNeeds::EptViolationVe:
      return supports_proc2(proc2::kEptViolationVe);
    case FieldNeeds::VirtualInterruptDelivery:
      return supports_proc2(proc2::kVirtualInterruptDelivery);
    case FieldNeeds::Pml:
      return supports_proc2(proc2::kEnablePml);
    case FieldNeeds::MsrBitmaps:
      return supports_proc(proc::kUseMsrBitmaps);
    case FieldNeeds::TprShadow:
      return supports_proc(proc::kUseTprShadow);
    case FieldNeeds::ApicAccess:
      return supports_proc2(proc2::kVirtualizeApicAccesses);
    case FieldNeeds::Vmfunc:
      return supports_proc2(proc2::kEnableVmfunc);
    case FieldNeeds::Ept:
      return supports_proc2(proc2::kEnableEpt);
    case FieldNeeds::EptpSwitching:
      return supports_proc2(proc2::kEnableVmfunc) && (capability(cap_msr::kVmfunc) & 1);
    case FieldNeeds::Shadowing:
      return supports_proc2(proc2::kVmcsShadowing);
    case FieldNeeds::TscScaling:
      return supports_proc2(proc2::kUseTscScaling);
    case FieldNeeds::Pat:
      return supports_entry(entry_ctl::kLoadPat) || supports_exit(exit_ctl::kSavePat) ||
             supports_exit(exit_ctl::kLoadPat);
    case FieldNeeds::Efer:
      return supports_entry(entry_ctl::kLoadEfer) || supports_exit(exit_ctl::kSaveEfer) ||
             supports_exit(exit_ctl::kLoadEfer);
    case FieldNeeds::PerfGlobalCtrl:
      return supports_entry(entry_ctl::kLoadPerfGlobalCtrl) || supports_exit(exit_ctl::kLoadPerfGlobalCtrl);
    case FieldNeeds::SecondaryControls:
      return supports_proc(proc::kSecondaryControls);
    case FieldNeeds::PauseLoopExiting:
      return supports_proc2(proc2::kPauseLoopExiting);
    case FieldNeeds::PreemptionTimer:
      return supports_pin(pin::kPreemptionTimer);
  }
  return false;
}

const FieldInfo* find_field(u64 encoding, bool* high) {
  // Bits 31:15 and bit 12 of an encoding are reserved: no field has them.
  if (encoding >> 15) return nullptr;
  const u32 full = u32(encoding) & ~1u;
  for (const FieldInfo& f : kFields) {
    if (f.encoding != full) continue;
    const bool hi = encoding & 1;
    if (hi && f.width != FieldWidth::W64) return nullptr;  // only 64-bit fields have a high half
    if (!field_exists(f)) return nullptr;
    *high = hi;
    return &f;
  }
  return nullptr;
}

unsigned highest_field_index() {
  unsigned top = 0;
  for (const FieldInfo& f : kFields)
    if (field_exists(f) && field_index(f.encoding) > top) top = field_index(f.encoding);
  return top;
}

u64 read_field(const Vmcs& v, const FieldInfo& f) {
  const u8* p = reinterpret_cast<const u8*>(&v) + f.offset;
  switch (f.width) {
    case FieldWidth::W16: {
      u16 x;
      std::memcpy(&x, p, 2);
      return x;
    }
    case FieldWidth::W32: {
      u32 x;
      std::memcpy(&x, p, 4);
      return x;
    }
    default: {
      u64 x;
      std::memcpy(&x, p, 8);
      return x;
    }
  }
}

void write_field(Vmcs& v, const FieldInfo& f, u64 value) {
  u8* p = reinterpret_cast<u8*>(&v) + f.offset;
  const unsigned n = width_bytes(f.width);
  std::memcpy(p, &value, n);  // little-endian: the low bytes
}

u64 read_field(const Vmcs& v, Field field) {
  bool high = false;
  for (const FieldInfo& f : kFields)
    if (f.encoding == u32(field)) return read_field(v, f);
  (void)high;
  return 0;
}

void serialize(Serializer& s, Vmcs& v) {
  for (const FieldInfo& f : kFields) {
    u64 x = read_field(v, f);
    s(x);
    write_field(v, f, x);
  }
}

void store_region(PhysMem& mem, u64 pa, const Vmcs& v, bool launched) {
  mem.write(pa + kLaunchStateOffset, 4, launched ? 1 : 0);
  u64 off = pa + kFieldsOffset;
  for (const FieldInfo& f : kFields) {
    mem.write(off, 8, read_field(v, f));
    off += 8;
  }
}

namespace {
u64 region_offset(const FieldInfo& f) { return kFieldsOffset + 8 * u64(&f - kFields); }
u64 width_mask(FieldWidth w) { return w == FieldWidth::W16 ? 0xffff : w == FieldWidth::W32 ? 0xffffffffull : ~u64(0); }
}  // namespace

u64 read_region_field(PhysMem& mem, u64 pa, const FieldInfo& f) {
  return mem.read(pa + region_offset(f), 8) & width_mask(f.width);
}

void write_region_field(PhysMem& mem, u64 pa, const FieldInfo& f, u64 value) {
  mem.write(pa + region_offset(f), 8, value & width_mask(f.width));
}

void load_region(PhysMem& mem, u64 pa, Vmcs& v, bool* launched) {
  *launched = mem.read(pa + kLaunchStateOffset, 4) == 1;
  u64 off = pa + kFieldsOffset;
  for (const FieldInfo& f : kFields) {
    write_field(v, f, mem.read(off, 8));
    off += 8;
  }
}

}  // namespace vtlab::vmx

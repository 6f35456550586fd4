// The VMCS: its field table (cpu/vmx/vmcs_fields.def), the CPU's typed copy
// of the current VMCS, and vtlab's layout of a VMCS region in memory (SDM
// Vol. 3C §25.2: only the revision identifier and the abort indicator have
// architected offsets; the rest is implementation-specific).
#pragma once
#include <span>
#include <type_traits>

#include "core/base/serializer.h"
#include "core/base/types.h"

namespace vtlab {
class PhysMem;
}

namespace vtlab::vmx {

enum class FieldWidth : u8 { W16 = 0, W64 = 1, W32 = 2, Natural = 3 };  // encoding bits 14:13
enum class FieldAccess : u8 { RW, RO };
enum class FieldGroup : u8 { Guest, GuestNonRegister, Host, Execution, Exit, Entry, ExitInfo };
// The feature whose support makes a field exist (SDM Vol. 3D Appendix B:
// "this field exists only on processors that support the 1-setting of ...").
enum class FieldNeeds : u8 {
  Always,
  Vpid,
  PostedInterrupts,
  EptViolationVe,
  VirtualInterruptDelivery,
  Pml,
  MsrBitmaps,
  TprShadow,
  ApicAccess,
  Vmfunc,
  Ept,
  EptpSwitching,
  Shadowing,
  TscScaling,
  Pat,
  Efer,
  PerfGlobalCtrl,
  SecondaryControls,
  PauseLoopExiting,
  PreemptionTimer,
};

// Encoding names: Field::GUEST_RIP is 0x681e.
enum class Field : u32 {
#define VMCS_FIELD(NAME, member, enc, width, access, group, needs) NAME = enc,
#include "cpu/vmx/vmcs_fields.def"
#undef VMCS_FIELD
};

// The storage type of a field: 16, 32 or 64 bits (natural width: 64).
template <u32 Enc>
using field_t = std::conditional_t<((Enc >> 13) & 3) == 0, u16, std::conditional_t<((Enc >> 13) & 3) == 2, u32, u64>>;

// The current VMCS as the CPU keeps it: one typed member per field.
struct Vmcs {
#define VMCS_FIELD(NAME, member, enc, width, access, group, needs) field_t<enc> member = 0;
#include "cpu/vmx/vmcs_fields.def"
#undef VMCS_FIELD
};

// One row of the field table.
struct FieldInfo {
  u32 encoding;  // the "full" encoding (bit 0 = 0)
  const char* name;
  FieldWidth width;
  FieldAccess access;
  FieldGroup group;
  FieldNeeds needs;
  u32 offset;  // of the member in Vmcs
};
std::span<const FieldInfo> vmcs_fields();
const char* group_name(FieldGroup g);

// Encoding layout (SDM Vol. 3C §25.11.2): bit 0 access type (1: the high
// 32 bits of a 64-bit field), bits 9:1 index, 11:10 type, 14:13 width.
inline unsigned field_index(u32 encoding) { return (encoding >> 1) & 0x1ff; }

// The field an encoding (a VMREAD/VMWRITE operand) names, or nullptr if no
// field with that encoding exists on this processor; *high is set for the
// high-access encoding of a 64-bit field.
const FieldInfo* find_field(u64 encoding, bool* high);
// Whether the processor supports the feature a field depends on.
bool field_exists(const FieldInfo& f);
// IA32_VMX_VMCS_ENUM[9:1]: the highest index among the fields that exist.
unsigned highest_field_index();

// Reads / writes a field of the typed copy, zero-extended / truncated to
// the field's width.
u64 read_field(const Vmcs& v, const FieldInfo& f);
void write_field(Vmcs& v, const FieldInfo& f, u64 value);
u64 read_field(const Vmcs& v, Field f);

// Every field, in table order (snapshots, hashes).
void serialize(Serializer& s, Vmcs& v);

// ---- the VMCS region in memory (vtlab's layout) ----
// Offset 0: revision identifier [30:0] and shadow-VMCS indicator [31];
// offset 4: VMX-abort indicator (SDM §25.2). Then vtlab's own: offset 8
// the launch state, offset 16 the fields in table order, 8 bytes each.
inline constexpr u32 kRevisionOffset = 0, kAbortOffset = 4, kLaunchStateOffset = 8, kFieldsOffset = 16;
void store_region(PhysMem& mem, u64 pa, const Vmcs& v, bool launched);
// One field of a VMCS region in memory (a shadow VMCS that is not current:
// VMREAD/VMWRITE in non-root operation under VMCS shadowing).
u64 read_region_field(PhysMem& mem, u64 pa, const FieldInfo& f);
void write_region_field(PhysMem& mem, u64 pa, const FieldInfo& f, u64 value);
void load_region(PhysMem& mem, u64 pa, Vmcs& v, bool* launched);

}  // namespace vtlab::vmx

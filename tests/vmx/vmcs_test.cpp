// The VMCS field table (cpu/vmx/vmcs_fields.def) and the VMCS region in
// memory (SDM Vol. 3C §25.2, §25.11.2, Vol. 3D Appendix B).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "tests/vmx/vmx_rig.h"

using namespace vmx_test;

TEST_CASE("every field: a unique full encoding, its width from bits 14:13, read-only exactly for type 1") {
  std::set<u32> seen;
  for (const FieldInfo& f : vmcs_fields()) {
    CAPTURE(f.name);
    CHECK(seen.insert(f.encoding).second);
    CHECK((f.encoding & 1) == 0);
    CHECK(u32(f.width) == ((f.encoding >> 13) & 3));
    CHECK((f.access == FieldAccess::RO) == (((f.encoding >> 10) & 3) == 1));
    CHECK(std::string(group_name(f.group)).size() > 0);
  }
  CHECK(seen.size() > 120);
}

TEST_CASE("find_field: full and high encodings, fields of unreported features do not exist") {
  bool high = true;
  const FieldInfo* f = find_field(u32(Field::GUEST_RIP), &high);
  REQUIRE(f);
  CHECK(std::string(f->name) == "GUEST_RIP");
  CHECK(!high);
  f = find_field(u32(Field::TSC_OFFSET) | 1, &high);  // the high half of a 64-bit field
  REQUIRE(f);
  CHECK(high);
  CHECK(!find_field(u32(Field::GUEST_RIP) | 1, &high));  // natural-width fields have no high half
  CHECK(!find_field(u32(Field::EXIT_REASON) | 1, &high));
  CHECK(!find_field(0x12345678, &high));
  CHECK(!find_field(u64(1) << 32 | u32(Field::GUEST_RIP), &high));
  CHECK(find_field(u32(Field::EPT_POINTER), &high) != nullptr);                  // EPT is reported
  CHECK(find_field(u32(Field::VMREAD_BITMAP), &high) != nullptr);                // VMCS shadowing is
  CHECK(find_field(u32(Field::POSTED_INTR_DESC_ADDR), &high) != nullptr);        // posted interrupts are
  CHECK(find_field(u32(Field::EOI_EXIT_BITMAP0), &high) != nullptr);             // and virtual-interrupt delivery
  CHECK(find_field(u32(Field::VE_INFO_ADDR), &high) == nullptr);                 // EPT-violation #VE is not
  CHECK(find_field(u32(Field::GUEST_IA32_PERF_GLOBAL_CTRL), &high) == nullptr);  // nor PERF_GLOBAL_CTRL
  CHECK(find_field(u32(Field::PREEMPTION_TIMER_VALUE), &high) != nullptr);
}

TEST_CASE("fields are stored at their width: writes truncate, reads zero-extend") {
  Vmcs v{};
  bool high = false;
  const FieldInfo* sel = find_field(u32(Field::GUEST_CS_SELECTOR), &high);
  write_field(v, *sel, 0x12345678);
  CHECK(v.guest_cs_selector == 0x5678);
  CHECK(read_field(v, *sel) == 0x5678);
  const FieldInfo* lim = find_field(u32(Field::GUEST_CS_LIMIT), &high);
  write_field(v, *lim, 0x1'ffff'ffffull);
  CHECK(read_field(v, *lim) == 0xffffffff);
  CHECK(read_field(v, Field::GUEST_CS_LIMIT) == 0xffffffff);
}

TEST_CASE("the VMCS region: revision and abort indicator at offsets 0 and 4, the rest vtlab's; round trip") {
  CpuRig r;
  Vmcs v{};
  v.guest_rip = 0x1122334455667788ull;
  v.exit_controls = 0xabcd;
  v.vpid = 7;
  r.mem.write(0x5000, 4, kVmcsRevision);
  r.mem.write(0x5004, 4, 0);
  store_region(r.mem, 0x5000, v, true);
  CHECK(r.mem.read(0x5000, 4) == kVmcsRevision);  // untouched
  CHECK(r.mem.read(0x5004, 4) == 0);
  Vmcs back{};
  bool launched = false;
  load_region(r.mem, 0x5000, back, &launched);
  CHECK(launched);
  CHECK(back.guest_rip == v.guest_rip);
  CHECK(back.exit_controls == 0xabcd);
  CHECK(back.vpid == 7);
}

TEST_CASE("VMX state serializes and loads back (snapshots)") {
  VmxRig a;
  a.enter_root();
  a.valid_vmcs();
  a.vmcs().guest_rip = 0x4242;
  Serializer save;
  a.vmx().serialize(save);
  VmxRig b;
  Serializer load(save.data());
  b.vmx().serialize(load);
  CHECK(b.vmx().in_operation());
  CHECK(b.vmx().current_vmcs_pointer() == VmxRig::kVmcs);
  CHECK(b.vmcs().guest_rip == 0x4242);
  CHECK(b.vmcs().host_rip == VmxRig::kHostExit);
}

#include "core/machine/firmware/feature_control_setup.h"

#include "cpu/cpuid_table.h"
#include "cpu/msr_table.h"

namespace vtlab {

void lock_feature_control(Cpu& cpu) {
  u64 v = kFeatureControlLock;
  if (cpu.reports(feature::VMX)) v |= kFeatureControlVmxOutsideSmx;
  cpu.write_msr(msr_index::kFeatureControl, v);  // refused (nothing changes) if already locked
}

}  // namespace vtlab

// Issue 7's "Linux as the hypervisor": Debian 12's kernel on vtlab loads its
// own kvm and kvm_intel modules (from the same package) and our static
// kvm-smoke (tests/linux/kvm_smoke.c) runs a real-mode and a 64-bit guest
// through /dev/kvm on every vCPU; each guest prints a line through port I/O.
// The initramfs is scripts/linux-guest.sh --kvm (docs/linux-boot.md "KVM
// inside vtlab"); its /init does everything with vtlab_kvm=1 and powers off,
// so no keystrokes are needed. Two runs must be equal to the last bit.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cpu/vmx/capabilities.h"
#include "tests/linux/guest_boot.h"

namespace {

using namespace vtlab;
using linux_test::Boot;
using linux_test::has;
using linux_test::read_file;

std::string guest_dir() { return linux_test::guest_dir("VTLAB_LINUX_KVM_GUEST_DIR", "linux-guest-kvm"); }

// Builds (or finds in the .deb cache) the kernel and the --kvm initramfs;
// fails loudly if the packages cannot be had.
std::string prepare_guest() {
  return linux_test::prepare_guest("--kvm '" KVM_SMOKE_BINARY "'", guest_dir(), "linux-kvm-guest.log");
}

// Starts `runs` boots at once. cryptomgr.notests: the crypto self-tests are
// linux_boot's business and cost 0.74 s of virtual time.
std::vector<Boot> boot(const std::string& dir, int cpus, int runs) {
  return linux_test::boot(
      "linux-kvm-cpus" + std::to_string(cpus),
      "'" + dir + "/vmlinuz' --initrd '" + dir +
          "/initrd.img' --cmdline 'console=ttyS0 vtlab_kvm=1 cryptomgr.notests' --mem 512M --cpus " +
          std::to_string(cpus) + " --max-insns 20000000000",
      runs);
}

bool reported(u32 msr, u32 bits) { return (vmx::capability(msr) >> 32 & bits) == bits; }

std::string yes_no(bool on) { return on ? "Y" : "N"; }

void check_param(const std::string& serial, const std::string& name, const std::string& want) {
  CHECK_MESSAGE(has(serial, "vtlab-kvm: kvm_intel." + name + "=" + want + "\r\n"),
                "kvm_intel." << name << " should be " << want);
}

}  // namespace

// Boots `runs` times at once; with two runs they must be equal to the last
// bit. CI's time budget pays for the determinism check on 2 vCPUs only (the
// SMP case; linux_boot checks 1 and 2 vCPUs without KVM).
static void kvm_boot(int cpus, int runs) {
  const std::string dir = prepare_guest();
  std::vector<Boot> boots = boot(dir, cpus, runs);
  const Boot& b = boots[0];
  INFO("--cpus " << cpus << ", serial output:\n" << b.serial << "\nsummary: " << b.summary);
  REQUIRE_FALSE(b.result.timed_out);
  CHECK(b.result.status == 0);
  CHECK(has(b.summary, "powered off (ACPI S5)"));
  CHECK(has(b.serial, "smp: Brought up 1 node, " + std::to_string(cpus) + (cpus == 1 ? " CPU\r\n" : " CPUs\r\n")));

  // kvm_intel found what vtlab reports and enabled it: EPT, VPID and
  // unrestricted guest (else real mode would run through vm86 and a TSS).
  check_param(b.serial, "ept", "Y");
  check_param(b.serial, "vpid", "Y");
  check_param(b.serial, "unrestricted_guest", "Y");
  check_param(b.serial, "preemption_timer", "Y");
  // The rest exactly as vtlab's capability MSRs report them (kvm_intel's
  // conditions, vmx/capabilities.h in Linux 6.1): APICv needs APIC-register
  // virtualization, virtual-interrupt delivery and posted interrupts (docs/vmx.md
  // "Not reported": not built yet, so issue 7's "APICv enabled" is still open);
  // FlexPriority the TPR shadow and virtualize APIC accesses; shadow VMCS
  // the VMCS-shadowing control; PML the PML control with EPT A/D flags.
  using namespace vmx;
  const bool apicv =
      reported(cap_msr::kProcbased2, proc2::kApicRegisterVirtualization | proc2::kVirtualInterruptDelivery) &&
      reported(cap_msr::kPinbased, pin::kPostedInterrupts);
  const bool flexpriority = reported(cap_msr::kProcbased, proc::kUseTprShadow) &&
                            reported(cap_msr::kProcbased2, proc2::kVirtualizeApicAccesses);
  const bool ept_ad = (capability(cap_msr::kEptVpidCap) & (u64(1) << 21)) != 0;
  check_param(b.serial, "enable_apicv", yes_no(apicv));
  check_param(b.serial, "flexpriority", yes_no(flexpriority));
  check_param(b.serial, "enable_shadow_vmcs", yes_no(reported(cap_msr::kProcbased2, proc2::kVmcsShadowing)));
  check_param(b.serial, "pml", yes_no(ept_ad && reported(cap_msr::kProcbased2, proc2::kEnablePml)));

  // kvm-smoke ran both guests on every vCPU (taskset) and got their lines.
  for (int cpu = 0; cpu < cpus; ++cpu) {
    const std::string on = "vtlab-kvm: kvm-smoke on CPU " + std::to_string(cpu);
    CHECK_MESSAGE(has(b.serial, on +
                                    "\r\n"
                                    "kvm-smoke: VM created (KVM API 12)\r\n"
                                    "kvm-smoke: real-mode guest said \"hello from a real-mode guest\", proof "
                                    "0x5aa5c33c\r\n"
                                    "kvm-smoke: 64-bit guest said \"hello from a 64-bit guest\", proof 0x64123456\r\n"
                                    "kvm-smoke: PASS\r\n" +
                                    on + " exit status 0\r\n"),
                  "kvm-smoke on CPU " << cpu);
  }
  CHECK(has(b.serial, "kvm: exiting hardware virtualization"));
  CHECK(has(b.serial, "reboot: Power down"));

  // No complaint from the kernel or from kvm about the (virtual) hardware.
  for (const char* bad :
       {"WARNING:", "BUG:", "Oops", "Kernel panic", "Call Trace", "general protection", "invalid opcode", "segfault",
        "traps:", "Unable to handle", "insmod", "FAIL", "KVM_SET_TSS_ADDR"})
    CHECK_MESSAGE(!has(b.serial, bad), "the serial log has '" << std::string(bad) << "'");
  std::istringstream lines(b.serial);
  for (std::string line; std::getline(lines, line);) {
    if (!has(line, "kvm") && !has(line, "VMX")) continue;
    for (const char* bad : {"disabled", "not supported", "does not work properly", "inconsistency", "no hardware",
                            "unsupported", "broken"})
      CHECK_MESSAGE(!has(line, bad), "kvm or VMX: \"" << std::string(bad) << "\" in " << line);
  }

  if (runs < 2) return;
  // Determinism: the second run is the same to the last bit.
  const Boot& again = boots[1];
  CHECK(again.result.status == b.result.status);
  CHECK(again.summary == b.summary);
  CHECK(again.serial == b.serial);
}

TEST_CASE(
    "Linux as the hypervisor on 1 vCPU: kvm_intel with EPT, VPID, unrestricted guest; real-mode and 64-bit "
    "guests print through port I/O") {
  kvm_boot(1, 1);
}

TEST_CASE("Linux as the hypervisor on 2 vCPUs: kvm-smoke on each vCPU, twice alike") { kvm_boot(2, 2); }

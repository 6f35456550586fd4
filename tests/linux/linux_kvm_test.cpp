// Issue 7's "Linux as the hypervisor": Debian 12's kernel on vtlab loads its
// own kvm and kvm_intel modules (from the same package) and our static
// kvm-smoke (tests/linux/kvm_smoke.c) runs a real-mode and a 64-bit guest
// through /dev/kvm on every vCPU; each guest prints a line through port I/O.
// A third guest, with KVM's in-kernel irqchip, takes a self-IPI, the APIC
// timer, an MSI and an x2APIC self-IPI through APICv (vtlab's APIC
// virtualization), which KVM's statistics confirm.
// The initramfs is scripts/linux-guest.sh --kvm (docs/linux-boot.md "KVM
// inside vtlab"); its /init does everything with vtlab_kvm=1 and powers off,
// so no keystrokes are needed. Two runs must be equal to the last bit.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/linux/guest_boot.h"

namespace {

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

  // kvm_intel found what vtlab reports and enabled all of it: EPT, VPID,
  // unrestricted guest (else real mode would run through vm86 and a TSS),
  // the preemption timer, APICv (APIC-register virtualization,
  // virtual-interrupt delivery, posted interrupts), FlexPriority (TPR shadow,
  // virtualize APIC accesses), shadow VMCS and PML (with EPT A/D flags):
  // kvm_intel's own conditions, vmx/capabilities.h in Linux 6.1.
  for (const char* param : {"ept", "vpid", "unrestricted_guest", "preemption_timer", "enable_apicv", "flexpriority",
                            "enable_shadow_vmcs", "pml"})
    check_param(b.serial, param, "Y");

  // kvm-smoke ran both guests on every vCPU (taskset) and got their lines.
  for (int cpu = 0; cpu < cpus; ++cpu) {
    const std::string on = "vtlab-kvm: kvm-smoke on CPU " + std::to_string(cpu);
    CHECK_MESSAGE(has(b.serial, on +
                                    "\r\n"
                                    "kvm-smoke: VM created (KVM API 12)\r\n"
                                    "kvm-smoke: real-mode guest said \"hello from a real-mode guest\", proof "
                                    "0x5aa5c33c\r\n"
                                    "kvm-smoke: 64-bit guest said \"hello from a 64-bit guest\", proof 0x64123456\r\n"
                                    "kvm-smoke: APIC guest's handlers said \"ITMX\" (xAPIC self-IPI, timer, MSI, "
                                    "x2APIC self-IPI), APIC version 0x14\r\n"
                                    "kvm-smoke: APIC guest: KVM injected 0 interrupts and emulated 0 instructions\r\n"
                                    "kvm-smoke: PASS\r\n" +
                                    on + " exit status 0\r\n"),
                  "kvm-smoke on CPU " << cpu);
  }
  CHECK(has(b.serial, "kvm: exiting hardware virtualization"));
  CHECK(has(b.serial, "reboot: Power down"));

  // No complaint from the kernel or from kvm about the (virtual) hardware.
  for (const char* bad : linux_test::kKernelTrouble)
    CHECK_MESSAGE(!has(b.serial, bad), "the serial log has '" << std::string(bad) << "'");
  // ...nor from loading the modules or from kvm-smoke.
  for (const char* bad : {"insmod", "FAIL", "KVM_SET_TSS_ADDR"})
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

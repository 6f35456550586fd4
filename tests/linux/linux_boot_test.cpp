// Issue 6's yardstick: Debian 12's own kernel (linux-image-amd64) with a
// busybox-static initramfs boots on vtlab to a shell on the serial console;
// a keystroke script types commands into it and powers it off through ACPI,
// and the bytes on the serial line are checked. Two runs with the same
// script must end with the same instruction count, state hash and output.
//
// The kernel and busybox are fetched by scripts/linux-guest.sh with
// `apt-get download` and cached in build/linux-guest (VTLAB_LINUX_GUEST_DIR
// overrides it). If they cannot be had the test fails: it never skips.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/linux/guest_boot.h"

namespace {

using linux_test::Boot;
using linux_test::has;
using linux_test::read_file;

std::string guest_dir() { return linux_test::guest_dir("VTLAB_LINUX_GUEST_DIR", "linux-guest"); }

// Builds (or finds in the cache) vmlinuz and initrd.img; FAILs loudly if
// the script cannot fetch the packages.
std::string prepare_guest() { return linux_test::prepare_guest("", guest_dir(), "linux-guest.log"); }

// The virtual time at which the keystroke script starts typing. The shell's
// prompt appears after about 6.0e9 ticks (docs/linux-boot.md); the margin
// covers a newer kernel from Debian's security updates. Idle time costs
// the host almost nothing (HLT jumps to the next timer event).
constexpr unsigned long long kTypeAt = 7'500'000'000ULL;

std::string write_keys(const std::string& path) {
  std::ofstream k(path);
  k << "# typed into the busybox shell of the Linux guest\n"
    << "@" << kTypeAt << " echo hello from vtlab; uname -a; grep -c processor /proc/cpuinfo\\n\n"
    << "@+300000000 cat /proc/interrupts\\n\n"
    << "@+300000000 poweroff -f\\n\n";
  return path;
}

// Starts `runs` boots on `cpus` vCPUs at once, typing `keys`.
std::vector<Boot> boot(const std::string& dir, const std::string& keys, int cpus, int runs) {
  return linux_test::boot("linux-cpus" + std::to_string(cpus),
                          "'" + dir + "/vmlinuz' --initrd '" + dir +
                              "/initrd.img' --cmdline 'console=ttyS0' --mem 512M --cpus " + std::to_string(cpus) +
                              " --serial-in keys:'" + keys + "' --max-insns 30000000000",
                          runs);
}

// The sum over the CPU columns of /proc/interrupts' line for `name` (from
// the output of `cat /proc/interrupts`), or -1.
long interrupt_count(const std::string& serial, const std::string& name) {
  const std::size_t table = serial.find("cat /proc/interrupts");
  if (table == std::string::npos) return -1;
  const std::size_t at = serial.find(" " + name + "\r\n", table);
  if (at == std::string::npos) return -1;
  const std::size_t line = serial.rfind('\n', at);
  std::istringstream in(serial.substr(line + 1, at - line));
  std::string irq;
  in >> irq;
  long sum = 0;
  for (long count; in >> count;) sum += count;
  return sum;
}

}  // namespace

// Boots the guest twice on `cpus` vCPUs with the same keystroke script and
// checks the shell's answers, the kernel log and that both runs are equal.
static void boot_to_shell_twice(int cpus) {
  const std::string dir = prepare_guest();
  std::string release = read_file(dir + "/kernel-release");
  while (!release.empty() && release.back() == '\n') release.pop_back();
  REQUIRE(release.rfind("6.1.0-", 0) == 0);
  const std::string keys = write_keys(std::string(VTLAB_TEST_TMP) + "/linux-keys.txt");

  std::vector<Boot> boots = boot(dir, keys, cpus, 2);
  const Boot& b = boots[0];
  INFO("--cpus " << cpus << ", serial output:\n" << b.serial << "\nsummary: " << b.summary);
  REQUIRE_FALSE(b.result.timed_out);
  CHECK(b.result.status == 0);
  CHECK(has(b.summary, "powered off (ACPI S5)"));

  // The kernel came up on the platform vtlab describes...
  CHECK(has(b.serial, "Linux version " + release));
  CHECK(has(b.serial, "ACPI: RSDP 0x00000000000E0000"));
  // SMBIOS (docs/firmware.md "SMBIOS"): the 64-bit entry point found in the
  // F segment, the system and BIOS named by types 1 and 0.
  CHECK(has(b.serial, "SMBIOS 3.0.0 present."));
  CHECK(has(b.serial, "DMI: vtlab vtlab x86-64 PC, BIOS "));
  CHECK(!has(b.serial, "DMI not present"));
  CHECK(has(b.serial, "ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A"));
  CHECK(has(b.serial, "x86/fpu: Enabled xstate features"));
  // PCI (docs/devices.md "PCI"): ECAM from MCFG accepted, both bridges found.
  CHECK(has(b.serial, "PCI: MMCONFIG at [mem 0xb0000000-0xbfffffff] reserved in E820"));
  CHECK(has(b.serial, "pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000"));
  CHECK(has(b.serial, "pci 0000:00:1f.0: quirk: [io  0x0600-0x067f] claimed by ICH6 ACPI/GPIO/TCO"));
  // ...ran /init from the initramfs, and the shell answered what was typed.
  CHECK(has(b.serial, "vtlab-guest: init up, kernel " + release));
  CHECK(has(b.serial, "vtlab# "));
  CHECK(has(b.serial, "\r\nhello from vtlab\r\n"));
  // uname -a (busybox: kernel name, node name, release, version, machine,
  // operating system), then grep -c processor: every vCPU came up.
  const std::size_t uname_at = b.serial.find("\r\nLinux (none) " + release + " #");
  REQUIRE(uname_at != std::string::npos);
  const std::size_t uname_end = b.serial.find("\r\n", uname_at + 2);
  REQUIRE(uname_end != std::string::npos);
  CHECK(has(b.serial.substr(uname_at, uname_end - uname_at), " x86_64 GNU/Linux"));
  CHECK(b.serial.compare(uname_end, 2 + std::to_string(cpus).size() + 2, "\r\n" + std::to_string(cpus) + "\r\n") == 0);
  CHECK(has(b.serial, "smp: Brought up 1 node, " + std::to_string(cpus) + (cpus == 1 ? " CPU\r\n" : " CPUs\r\n")));
  CHECK(interrupt_count(b.serial, "timer") > 0);
  CHECK(interrupt_count(b.serial, "ttyS0") > 0);
  CHECK(has(b.serial, "reboot: Power down"));
  // Nothing went wrong in the kernel or in user space; the kernel's crypto
  // self-tests (AES-NI, PCLMULQDQ, SSE code) all passed.
  for (const char* bad : linux_test::kKernelTrouble)
    CHECK_MESSAGE(!has(b.serial, bad), "the kernel log has '" << bad << "'");
  std::istringstream lines(b.serial);
  for (std::string line; std::getline(lines, line);)
    CHECK_MESSAGE(!(has(line, "alg:") && has(line, "fail")), "a crypto self-test failed: " << line);

  // Determinism: the second run is the same to the last bit.
  const Boot& again = boots[1];
  CHECK(again.result.status == b.result.status);
  CHECK(again.summary == b.summary);
  CHECK(again.serial == b.serial);
}

TEST_CASE("Debian 12's kernel on 1 vCPU: boots to a busybox shell, runs typed commands, powers off, twice alike") {
  boot_to_shell_twice(1);
}

TEST_CASE("Debian 12's kernel on 2 vCPUs: both come up (INIT-SIPI-SIPI), the shell works, twice alike") {
  boot_to_shell_twice(2);
}

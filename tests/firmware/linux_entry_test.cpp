// Linux direct boot through the CPU: a synthetic bzImage's entry code reads
// boot_params through RSI/ESI (the "HdrS" of the header copy) and the first
// byte of the initrd through ramdisk_image, and reports it through the
// debug-exit port. The machine state at entry is the one the boot protocol
// describes (Documentation/arch/x86/boot.rst, "64-bit/32-bit Boot Protocol").
#include <doctest/doctest.h>

#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"
#include "tests/loader/bzimage_builder.h"

using namespace vtlab;

namespace {

constexpr u8 kInitrdFirstByte = 0x5a;

std::unique_ptr<Machine> boot(bool long_mode) {
  loader_test::BzSpec s;
  s.xloadflags = long_mode ? 1 : 0;
  s.kernel = loader_test::entry_probe_kernel();
  BootOptions o;
  o.image_path = "probe.bzImage";
  o.cmdline = "console=ttyS0";
  o.initrd_path = "rd";
  o.ram_size = 64ull << 20;
  const std::vector<u8> initrd = loader_test::pattern(0x1000, kInitrdFirstByte);
  MachineConfig cfg;
  cfg.ram_bytes = o.ram_size;
  auto m = std::make_unique<Machine>(cfg);
  m->load(load_image_from_bytes(loader_test::build_bzimage(s), {}, o, initrd));
  return m;
}

}  // namespace

TEST_CASE("Linux 64-bit entry: long mode, __BOOT_CS/__BOOT_DS, paging on, RSI = boot_params") {
  auto m = boot(true);
  Cpu& c = m->cpu();
  CHECK(c.rip == 0x1000000 + 0x200);
  CHECK(c.gpr[RSI] == 0x10000);
  CHECK((c.efer & (efer::LME | efer::LMA)) == (efer::LME | efer::LMA));
  CHECK((c.cr0 & (cr0::PE | cr0::PG)) == (cr0::PE | cr0::PG));
  CHECK((c.cr4 & cr4::PAE) != 0);
  CHECK(c.seg[CS].selector == 0x10);
  CHECK((c.seg[CS].attr & ar::L) != 0);
  for (SegReg s : {DS, ES, SS}) CHECK(c.seg[s].selector == 0x18);
  CHECK((c.flags.get() & fl::IF) == 0);
  CHECK(c.gdtr.base == 0x1000);
  RunResult r = m->run(1000);
  INFO(r.summary());
  CHECK(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == kInitrdFirstByte);
}

TEST_CASE("Linux 32-bit entry: protected mode, paging off, ESI = boot_params") {
  auto m = boot(false);
  Cpu& c = m->cpu();
  CHECK(c.rip == 0x1000000);
  CHECK(c.gpr[RSI] == 0x10000);
  CHECK((c.cr0 & cr0::PG) == 0);
  CHECK((c.efer & efer::LMA) == 0);
  CHECK(c.seg[CS].selector == 0x10);
  CHECK((c.seg[CS].attr & ar::DB) != 0);
  CHECK(c.gdtr.base == 0x1000);
  CHECK(c.gdtr.limit == 31);
  RunResult r = m->run(1000);
  INFO(r.summary());
  CHECK(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == kInitrdFirstByte);
}

TEST_CASE("a Linux boot gives fw_cfg QEMU's kernel, initrd, command line and setup items") {
  auto m = boot(true);
  FwCfg& f = m->fw_cfg();
  auto le = [&](u16 key) {
    const std::vector<u8>* item = f.item(key);
    REQUIRE(item);
    u64 v = 0;
    for (size_t i = item->size(); i-- > 0;) v = v << 8 | (*item)[i];
    return v;
  };
  CHECK(le(fw_cfg::kKernelAddr) == 0x1000000);
  CHECK(le(fw_cfg::kKernelSize) == 0x1000);
  CHECK(f.item(fw_cfg::kKernelData)->size() == 0x1000);
  CHECK(le(fw_cfg::kInitrdSize) == 0x1000);
  CHECK(f.item(fw_cfg::kInitrdData)->at(0) == kInitrdFirstByte);
  CHECK(le(fw_cfg::kCmdlineAddr) == 0x20000);
  CHECK(le(fw_cfg::kCmdlineSize) == 14);  // with the NUL
  CHECK(le(fw_cfg::kSetupSize) == 5 * 512);
  CHECK(le(fw_cfg::kRamSize) == 64ull << 20);
  CHECK(le(fw_cfg::kNbCpus) == 1);
  // A Multiboot boot has none of these.
  MachineConfig cfg;
  cfg.ram_bytes = 16 << 20;
  Machine mb(cfg);
  BootImage flat;
  flat.blobs.push_back({0x100000, {0xf4}, 0, "code"});
  flat.entry = 0x100000;
  mb.load(flat);
  CHECK(mb.fw_cfg().item(fw_cfg::kKernelData) == nullptr);
  CHECK(mb.fw_cfg().item(fw_cfg::kCmdlineSize) == nullptr);
}

TEST_CASE("the firmware tables describe --cpus and refuse what they cannot") {
  MachineConfig cfg;
  cfg.ram_bytes = 16 << 20;
  cfg.cpus = 4;
  Machine m(cfg);
  BootImage img;
  img.blobs.push_back({0x100000, {0xf4}, 0, "code"});
  img.entry = 0x100000;
  m.load(img);
  const std::vector<u8>* n = m.fw_cfg().item(fw_cfg::kNbCpus);
  REQUIRE(n);
  CHECK((*n)[0] == 4);
  cfg.cpus = 16;  // the IOAPIC's 4-bit ID is 16: no such machine
  CHECK_THROWS_WITH_AS(Machine{cfg}, "a machine has 1 to 15 vCPUs, not 16", Error);
  // A hand-made image over the ACPI tables is refused.
  Machine small(MachineConfig{.ram_bytes = 16 << 20});
  BootImage over;
  over.blobs.push_back({(16 << 20) - 0x100, std::vector<u8>(16, 0), 0, "code"});
  CHECK_THROWS_WITH_AS(small.load(over), "code at 0xffff00 overlaps the ACPI tables [0xff0000, 0x1000000)", Error);
}

// The DSDT's PCI interrupt routing, executed by ACPICA's acpiexec (the
// interpreter Linux uses): _PRT in 8259 mode (links LNKA-LNKD) and after
// _PIC(1) (GSI 16-19) for every device and pin of bus 0, as PciBus routes
// them; and the link devices' _STA/_CRS/_SRS/_DIS over the LPC bridge's
// PIRQx_ROUT registers (acpiexec backs the PCI_Config region with memory
// that starts at 0).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/machine/acpi/dsdt_aml.h"
#include "core/machine/platform_layout.h"
#include "devices/pci/pci_bus.h"

namespace {

namespace fs = std::filesystem;

// Calls into the DSDT, 32 _PRT entries at a time (acpiexec's result buffer
// cannot hold all 128 with references).
constexpr const char* kHelperAsl = R"(DefinitionBlock ("helper.aml", "SSDT", 2, "VTLAB ", "PRTTEST ", 1)
{
    External (\_SB.PCI0._PRT, MethodObj)
    Method (PRTS, 1, NotSerialized)
    {
        Local0 = \_SB.PCI0._PRT ()
        Local1 = Package (0x20) {}
        Local2 = Zero
        While ((Local2 < 0x20))
        {
            Local1 [Local2] = DerefOf (Local0 [(Arg0 + Local2)])
            Local2++
        }
        Return (Local1)
    }
}
)";

struct AcpiExec {
  fs::path dir = fs::temp_directory_path() / ("vtlab_acpiexec_" + std::to_string(::getpid()));
  AcpiExec() {
    fs::create_directories(dir);
    std::ofstream(dir / "dsdt.aml", std::ios::binary)
        .write(reinterpret_cast<const char*>(vtlab::acpi::kDsdtAml), std::streamsize(vtlab::acpi::kDsdtAmlSize));
    std::ofstream(dir / "helper.asl") << kHelperAsl;
    const std::string cmd = "cd " + dir.string() + " && " VTLAB_IASL " -vs -we helper.asl > iasl.log 2>&1";
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "iasl failed on the helper table");
  }
  ~AcpiExec() { fs::remove_all(dir); }
  // acpiexec's output for `commands` (separated by ';').
  std::string run(const std::string& commands) {
    const std::string cmd =
        "cd " + dir.string() + " && " VTLAB_ACPIEXEC " -b \"" + commands + "\" dsdt.aml helper.aml > run.log 2>&1";
    CHECK(std::system(cmd.c_str()) == 0);
    std::ifstream in(dir / "run.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// The values acpiexec printed, in order: integers as numbers, references
// to named objects as their names.
std::vector<std::string> values(const std::string& log) {
  static const std::regex value(R"(\[Integer\] = ([0-9A-F]+)|\[Object Reference\] = .*Name (\w+))");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), value); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].matched ? std::to_string(std::stoull((*it)[1].str(), nullptr, 16)) : (*it)[2].str());
  return out;
}

}  // namespace

TEST_CASE("DSDT _PRT: every device and pin of bus 0 to the PIRQ PciBus drives, in both interrupt models") {
  AcpiExec acpi;
  // One acpiexec run (each costs a second): 8259 mode, then _PIC(1).
  std::string commands;
  for (int apic = 0; apic <= 1; ++apic) {
    if (apic) commands += "execute \\_PIC 1;";
    for (int first = 0; first < 128; first += 32) commands += "execute PRTS " + std::to_string(first) + ";";
  }
  const std::vector<std::string> v = values(acpi.run(commands));
  REQUIRE(v.size() == 2 * 128 * 4);
  for (unsigned apic = 0; apic <= 1; ++apic)
    for (unsigned i = 0; i < 128; ++i) {
      const unsigned device = i / 4, pin = i % 4;  // _PRT pins are 0-based: INTA# = 0
      const unsigned pirq = vtlab::PciBus::pirq_of(device, vtlab::u8(pin + 1));
      const std::string* e = &v[4 * (128 * apic + i)];
      CAPTURE(apic);
      CAPTURE(device);
      CAPTURE(pin);
      CHECK(e[0] == std::to_string(device << 16 | 0xffff));
      CHECK(e[1] == std::to_string(pin));
      if (apic) {
        CHECK(e[2] == "0");
        CHECK(e[3] == std::to_string(16 + pirq));
      } else {
        CHECK(e[2] == std::string("LNK") + char('A' + pirq));
        CHECK(e[3] == "0");
      }
    }
}

TEST_CASE("DSDT links: _SRS writes PIRQx_ROUT, _CRS and _STA read it, _DIS sets IRQEN") {
  AcpiExec acpi;
  // The IRQ descriptor for IRQ 10: 23 (small IRQ, 3 bytes), mask 0x0400, flags 18 (level, low, shared).
  const std::string log = acpi.run(
      "execute \\_SB.LNKB._SRS (23 00 04 18 79 00);"
      "execute \\_SB.PCI0.ISA.PRQB; execute \\_SB.LNKB._STA;"
      "execute \\_SB.LNKB._DIS; execute \\_SB.PCI0.ISA.PRQB; execute \\_SB.LNKB._STA;"
      "execute \\_SB.LNKB._SRS (23 20 00 18 79 00); execute \\_SB.PCI0.ISA.PRQB;"
      "execute \\_SB.LNKB._SRS (23 00 00 18 79 00); execute \\_SB.PCI0.ISA.PRQB; execute \\_SB.PCI0.ISA.PRQA;"
      "execute \\_SB.LNKC._SRS (23 00 08 18 79 00); execute \\_SB.LNKC._CRS;"
      "execute \\_SB.LNKC._DIS; execute \\_SB.LNKC._CRS; execute \\_SB.LNKD._PRS");
  CHECK(values(log) == std::vector<std::string>{"10", "11", "138", "9", "5", "128", "0"});
  // _CRS gives the routed IRQ in the descriptor of _PRS; an empty mask when disabled.
  const size_t routed = log.find("23 00 08 18 79 00"), disabled = log.find("23 00 00 18 79 00", routed);
  CHECK(routed != std::string::npos);
  CHECK(disabled != std::string::npos);
  CHECK(log.find("23 20 0C 18 79 00") != std::string::npos);  // _PRS: IRQ 5, 10, 11
}

TEST_CASE("DSDT PCI0._CRS: buses 0-255 and the memory window PciBus decodes, platform::kPciMmioBase..kPciMmioEnd") {
  const std::vector<unsigned char> aml(vtlab::acpi::kDsdtAml, vtlab::acpi::kDsdtAml + vtlab::acpi::kDsdtAmlSize);
  auto le32 = [](std::vector<unsigned char>& out, vtlab::u64 v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  };
  // DWordMemory: minimum, maximum, translation 0, length.
  std::vector<unsigned char> window;
  le32(window, vtlab::platform::kPciMmioBase);
  le32(window, vtlab::platform::kPciMmioEnd - 1);
  le32(window, 0);
  le32(window, vtlab::platform::kPciMmioEnd - vtlab::platform::kPciMmioBase);
  CHECK(std::search(aml.begin(), aml.end(), window.begin(), window.end()) != aml.end());
  // WordBusNumber (0x88): granularity 0, minimum 0, maximum 0xff, translation 0, length 0x100.
  const std::vector<unsigned char> buses = {0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00,
                                            0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x01};
  CHECK(std::search(aml.begin(), aml.end(), buses.begin(), buses.end()) != aml.end());
}

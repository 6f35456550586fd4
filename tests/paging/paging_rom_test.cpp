// roms/paging: 32-bit and PAE paging inside a booted machine, checked by the
// guest itself and by its exact serial output (roms/expected/paging.txt).
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"

using namespace vtlab;

TEST_CASE("roms/paging.elf: every check passes and the output is as expected") {
  CaptureSink serial;
  BootOptions opts;
  opts.image_path = std::string(VTLAB_ROM_DIR) + "/paging.elf";
  opts.ram_size = 128ull << 20;
  MachineConfig cfg;
  cfg.ram_bytes = opts.ram_size;
  cfg.serial_out = &serial;
  Machine m(cfg);
  m.load(load_image(opts));
  RunResult r = m.run(10'000'000ull);
  INFO(r.summary());
  CHECK(r.end == RunEnd::DebugExit);
  CHECK(r.exit_value == 0);
  std::ifstream f(std::string(VTLAB_SOURCE_DIR) + "/roms/expected/paging.txt", std::ios::binary);
  REQUIRE(f.good());
  std::stringstream expected;
  expected << f.rdbuf();
  CHECK(serial.text() == expected.str());
}

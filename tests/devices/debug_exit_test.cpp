// isa-debug-exit as QEMU defines it: value v written -> host status (v << 1) | 1.
#include <doctest/doctest.h>

#include <vector>

#include "core/base/port_bus.h"
#include "devices/debug_exit/debug_exit.h"

using namespace vtlab;

TEST_CASE("debug-exit maps written values to QEMU's exit status") {
  struct Row {
    u32 value;
    int status;
  };
  for (Row row : {Row{0, 1}, Row{1, 3}, Row{0x10, 0x21}, Row{0x31, 0x63}, Row{0x7f, 0xff}, Row{0x80, 0x01},
                  Row{0xffffffffu, 0xff}}) {
    CAPTURE(row.value);
    CHECK(DebugExit::host_exit_status(row.value) == row.status);
  }
}

TEST_CASE("debug-exit on the port bus") {
  PortBus bus;
  DebugExit dev;
  dev.attach(bus);
  std::vector<u32> calls;
  dev.on_exit = [&calls](u32 v) { calls.push_back(v); };

  CHECK(bus.read(0xf4, 1) == 0);  // reads return 0, as in QEMU
  CHECK(bus.read(0xf4, 4) == 0);
  CHECK(bus.read(0xf8, 1) == 0xff);  // not ours (iosize 4)
  CHECK_FALSE(dev.exit_request().has_value());

  SUBCASE("byte write") {
    bus.write(0xf4, 1, 0x110);  // only the low byte travels on an OUT imm8
    CHECK(dev.exit_request() == std::optional<u32>(0x10));
    CHECK(dev.view().host_status == 0x21);
  }
  SUBCASE("word write") {
    bus.write(0xf4, 2, 0xabcd1234);
    CHECK(dev.exit_request() == std::optional<u32>(0x1234));
  }
  SUBCASE("dword write at another port of the range") {
    bus.write(0xf6, 4, 0xdeadbeef);
    CHECK(dev.exit_request() == std::optional<u32>(0xdeadbeef));
  }
  REQUIRE(calls.size() == 1);
  CHECK(calls[0] == *dev.exit_request());

  u32 first = *dev.exit_request();
  bus.write(0xf4, 1, 0x42);  // the first request wins
  CHECK(dev.exit_request() == std::optional<u32>(first));
  CHECK(calls.size() == 1);

  Serializer save;
  dev.serialize(save);
  DebugExit copy;
  Serializer load(save.data());
  copy.serialize(load);
  CHECK(copy.exit_request() == std::optional<u32>(first));

  dev.reset();
  CHECK_FALSE(dev.exit_request().has_value());
  Serializer save_clear;
  dev.serialize(save_clear);
  Serializer load_clear(save_clear.data());
  copy.serialize(load_clear);
  CHECK_FALSE(copy.exit_request().has_value());
}

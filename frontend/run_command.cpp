#include "frontend/run_command.h"

#include <cstdio>
#include <memory>

#include "core/machine/loader/load_image.h"
#include "core/machine/machine.h"
#include "devices/uart16550/host_input.h"

namespace vtlab {

int run_command(const cli::RunOptions& opts) {
  std::unique_ptr<ByteSink> sink;
  switch (opts.serial.kind) {
    case cli::SerialOutput::Kind::Stdio: sink = std::make_unique<StdoutSink>(); break;
    case cli::SerialOutput::Kind::File: sink = std::make_unique<FileSink>(opts.serial.path); break;
    case cli::SerialOutput::Kind::None: break;
  }
  std::unique_ptr<ByteInput> input;
  switch (opts.serial_in.kind) {
    case cli::SerialInput::Kind::Stdin: input = std::make_unique<StdinInput>(); break;
    case cli::SerialInput::Kind::File: input = std::make_unique<FileInput>(opts.serial_in.path); break;
    case cli::SerialInput::Kind::None: break;
  }

  BootOptions boot;
  boot.image_path = opts.image;
  boot.cmdline = opts.cmdline.value_or("");
  boot.module_paths = opts.modules;
  boot.flat = opts.flat_addr.has_value();
  boot.flat_addr = opts.flat_addr.value_or(0);
  boot.ram_size = opts.mem_bytes;
  BootImage image = load_image(boot);

  MachineConfig cfg;
  cfg.ram_bytes = opts.mem_bytes;
  cfg.serial_out = sink.get();
  cfg.serial_in = input.get();
  Machine m(cfg);
  m.load(image);
  RunResult r = m.run(opts.max_insns);
  if (!opts.quiet) std::fprintf(stderr, "%s\n", r.summary().c_str());
  return r.host_status();
}

}  // namespace vtlab

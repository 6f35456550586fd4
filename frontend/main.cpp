// vtlab command line: `run` boots an image, `bench` measures the interpreter.
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>

#include "core/base/error.h"
#include "frontend/bench.h"
#include "frontend/options.h"
#include "frontend/run_command.h"

int main(int argc, char** argv) {
  using namespace vtlab;
  try {
    cli::Options opts = cli::parse_command_line(argc, argv);
    switch (opts.command) {
      case cli::Command::Help: std::cout << cli::help_text(opts.help_topic); return 0;
      case cli::Command::Version: std::cout << cli::version_text(); return 0;
      case cli::Command::Run: return run_command(opts.run);
      case cli::Command::Bench: return bench_command(opts.bench, argv[0]);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "vtlab: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vtlab: internal error: %s\n", e.what());
    return 4;
  }
  return 0;
}

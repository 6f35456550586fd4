#pragma once
#include "frontend/options.h"

namespace vtlab {
// Runs the benchmark ROMs of this build (compute: bench.elf; exception
// round trips: faultbench.elf), or the one ROM given, and prints
// instructions, seconds, MIPS (and round trips per second); with
// qemu-system-x86_64 installed, also QEMU TCG's time on the same ROM and
// the ratio.
int bench_command(const cli::BenchOptions& opts, const char* argv0);
}  // namespace vtlab

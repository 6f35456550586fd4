#pragma once
#include "frontend/options.h"

namespace vtlab {
// Runs the compute benchmark ROM in this build and prints instructions,
// seconds and MIPS; with qemu-system-x86_64 installed, also QEMU TCG's time
// on the same ROM and the ratio.
int bench_command(const cli::BenchOptions& opts, const char* argv0);
}  // namespace vtlab

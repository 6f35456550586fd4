#pragma once
#include "frontend/options.h"

namespace vtlab {
// Boots opts.image, runs it, prints the one-line summary on stderr, and
// returns the process exit status (see RunResult::host_status).
int run_command(const cli::RunOptions& opts);
}  // namespace vtlab

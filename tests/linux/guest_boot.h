// What the Linux tests share: building the guest with scripts/linux-guest.sh
// and running vtlab on it several times at once (independent processes; on
// two cores this halves a test's time).
#pragma once
#include <string>
#include <vector>

#include "tests/cli_e2e/child.h"

namespace linux_test {

std::string read_file(const std::string& path);

// What a kernel log must not contain: a warning, an oops or a panic, a
// fault in user space.
inline constexpr const char* kKernelTrouble[] = {
    "WARNING:",           "BUG:",           "Oops",     "Kernel panic", "Call Trace",
    "general protection", "invalid opcode", "segfault", "traps:",       "Unable to handle"};
inline bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// Where the guest is built: $ENV_VAR if set, else build/SUBDIR in the source tree.
std::string guest_dir(const char* env_var, const char* subdir);

// Runs scripts/linux-guest.sh SCRIPT_ARGS DIR (it builds or finds vmlinuz and
// initrd.img in DIR) with its output in LOG_NAME in the test's temporary
// directory, and REQUIREs success, showing that log if not.
std::string prepare_guest(const std::string& script_args, const std::string& dir, const std::string& log_name);

struct Boot {
  cli_e2e::Result result;
  std::string serial;   // COM1's bytes
  std::string summary;  // vtlab's last line on stderr
};

// Starts `runs` copies of `vtlab run ARGS` at once, then waits for all.
// `tag` names their output files in the test's temporary directory.
std::vector<Boot> boot(const std::string& tag, const std::string& args, int runs);

}  // namespace linux_test

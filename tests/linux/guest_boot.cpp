#include "tests/linux/guest_boot.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace linux_test {

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string guest_dir(const char* env_var, const char* subdir) {
  const char* env = std::getenv(env_var);
  if (env && *env) return env;
  std::string dir = VTLAB_SOURCE_DIR;
  dir += "/build/";
  dir += subdir;
  return dir;
}

std::string prepare_guest(const std::string& script_args, const std::string& dir, const std::string& log_name) {
  const std::string log = std::string(VTLAB_TEST_TMP) + "/" + log_name;
  const std::string cmd =
      std::string(VTLAB_SOURCE_DIR) + "/scripts/linux-guest.sh " + script_args + " '" + dir + "' >'" + log + "' 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0,
                  "scripts/linux-guest.sh could not build the Linux guest (it needs network access "
                  "and Debian's package lists for apt-get download the first time):\n"
                      << read_file(log));
  return dir;
}

std::vector<Boot> boot(const std::string& tag, const std::string& args, int runs) {
  std::vector<cli_e2e::Child> children;
  std::vector<std::string> outs, errs;
  for (int i = 0; i < runs; ++i) {
    const std::string base = std::string(VTLAB_TEST_TMP) + "/" + tag + "-run" + std::to_string(i);
    outs.push_back(base + ".serial");
    errs.push_back(base + ".stderr");
    children.push_back(cli_e2e::start_vtlab("run " + args + " >'" + outs.back() + "' 2>'" + errs.back() + "'"));
  }
  std::vector<Boot> boots;
  for (int i = 0; i < runs; ++i) {
    Boot b;
    b.result = cli_e2e::finish(children[std::size_t(i)], 1200);
    b.serial = read_file(outs[std::size_t(i)]);
    const std::string err = read_file(errs[std::size_t(i)]);
    const std::size_t nl = err.rfind('\n', err.size() >= 2 ? err.size() - 2 : 0);
    b.summary = nl == std::string::npos ? err : err.substr(nl + 1);
    boots.push_back(std::move(b));
  }
  return boots;
}

}  // namespace linux_test

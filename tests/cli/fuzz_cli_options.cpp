// libFuzzer target for the command-line parser (DESIGN: every parser of
// outside input has one). Input: arguments separated by NUL bytes. The parser
// must either return options that satisfy its documented ranges or throw
// vtlab::Error; anything else (a crash, another exception) is a bug.
#include <cstdlib>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/log.h"
#include "frontend/options.h"

using namespace vtlab::cli;

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::vector<std::string> args(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) args.emplace_back();
    else args.back().push_back(char(data[i]));
  }
  try {
    Options o = parse_arguments(args);
    if (o.command == Command::Run) {
      if (o.run.image.empty()) std::abort();
      if (o.run.mem_bytes < kMinMemBytes || o.run.mem_bytes > kMaxMemBytes || o.run.mem_bytes % 4096) std::abort();
      vtlab::u32 all = 0;
      for (const vtlab::LogCategoryInfo& c : vtlab::log_categories()) all |= vtlab::u32(c.category);
      if (o.run.log_mask & ~all) std::abort();
      if (o.run.log_file && (o.run.log_file->empty() || !o.run.log_mask)) std::abort();
    }
  } catch (const vtlab::Error&) {
  }
  try {
    parse_mem_size(args[0], "--mem");
  } catch (const vtlab::Error&) {
  }
  try {
    if (vtlab::parse_log_categories(args[0]) == 0) std::abort();  // a parsed list names at least one category
  } catch (const vtlab::Error&) {
  }
  try {
    parse_number(args[0], "--max-insns");
  } catch (const vtlab::Error&) {
  }
  return 0;
}

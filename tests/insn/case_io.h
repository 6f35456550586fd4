// Reading and writing the case text format (docs/instruction-test-format.md).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tests/insn/case.h"

namespace insn {

// A malformed case file. what() is "file:line: message".
struct ParseError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::vector<Case> parse_cases(std::string_view text, const std::string& filename);
std::vector<Case> load_case_file(const std::string& path);  // throws ParseError (also for I/O)

// One case as text, ending with "end\n". Round-trips through parse_cases.
std::string format_case(const Case& c);

// "0x..." as the case files write numbers.
std::string hex(u64 v);
// A whole file: a header comment then the cases separated by blank lines.
std::string format_case_file(const std::vector<Case>& cases, std::string_view header_comment);

// Names of the files in a cases directory (sorted, *.txt).
std::vector<std::string> list_case_files(const std::string& dir);

}  // namespace insn

#include "devices/uart16550/key_script.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/error.h"
#include "core/base/host_file.h"

namespace vtlab {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decimal or 0x hex; nullopt if malformed or above 2^64-1.
std::optional<u64> parse_ticks(std::string_view s) {
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return std::nullopt;
  u64 v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0 || unsigned(d) >= base || v > (~u64(0) - u64(d)) / base) return std::nullopt;
    v = v * base + u64(d);
  }
  return v;
}

[[noreturn]] void fail(std::size_t line, const std::string& why) {
  throw Error("line " + std::to_string(line) + ": " + why);
}

std::string unescape(std::string_view text, std::size_t line) {
  static constexpr struct {
    char letter;
    char byte;
  } kEscapes[] = {{'n', '\n'}, {'r', '\r'}, {'t', '\t'}, {'e', '\x1b'}, {'\\', '\\'}};
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) fail(line, "a '\\' ends the line (write \\\\ for a backslash)");
    bool known = false;
    for (const auto& e : kEscapes) {
      if (text[i] == e.letter) {
        out += e.byte;
        known = true;
      }
    }
    if (known) continue;
    if (text[i] == 'x') {
      const int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) fail(line, "\\x needs two hex digits");
      out += char(hi << 4 | lo);
      i += 2;
      continue;
    }
    fail(line, std::string("unknown escape '\\") + text[i] + "' (known: \\n \\r \\t \\e \\\\ \\xHH)");
  }
  return out;
}

}  // namespace

std::vector<KeyScriptEntry> parse_key_script(std::string_view text) {
  std::vector<KeyScriptEntry> entries;
  u64 last = 0;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] != '@') fail(line_no, "expected '@TICKS TEXT' or a '#' comment");
    line.remove_prefix(1);
    const std::size_t space = line.find(' ');
    std::string_view time = line.substr(0, space);
    const std::string_view body = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const bool relative = !time.empty() && time[0] == '+';
    if (relative) time.remove_prefix(1);
    const std::optional<u64> t = parse_ticks(time);
    if (!t) {
      // Built by appending: GCC 12 warns falsely (-Wrestrict, PR 105651) on "literal" + std::string.
      std::string why(1, '\'');
      why += time;
      why += "' is not a tick count (decimal or 0x hex)";
      fail(line_no, why);
    }
    u64 tick = *t;
    if (relative) {
      if (tick > ~u64(0) - last) fail(line_no, "the time overflows");
      tick += last;
    } else if (tick < last) {
      fail(line_no, "time " + std::to_string(tick) + " is before the previous entry's " + std::to_string(last));
    }
    last = tick;
    entries.push_back({tick, unescape(body, line_no)});
  }
  return entries;
}

KeyScriptInput KeyScriptInput::from_file(const std::string& path) {
  ReadableFile f = open_regular_file(path, "keystroke script");
  const std::string prefix = "keystroke script '" + path + "': ";
  if (f.size > kMaxFileBytes) throw Error(prefix + "larger than 16 MiB");
  std::string text(std::size_t(f.size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pread(f.fd.get(), text.data() + done, text.size() - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(prefix + (n < 0 ? std::strerror(errno) : "the file shrank while being read"));
    done += std::size_t(n);
  }
  try {
    return KeyScriptInput(parse_key_script(text));
  } catch (const Error& e) {
    throw Error(prefix + e.what());
  }
}

std::optional<u8> KeyScriptInput::poll() {
  while (entry_ < entries_.size() && offset_ == entries_[entry_].bytes.size()) {
    ++entry_;
    offset_ = 0;
  }
  if (entry_ == entries_.size()) return std::nullopt;
  if (clock_ && clock_->now() < entries_[entry_].tick) return std::nullopt;
  return u8(entries_[entry_].bytes[offset_++]);
}

u64 KeyScriptInput::remaining() const {
  u64 n = 0;
  for (std::size_t i = entry_; i < entries_.size(); ++i) n += entries_[i].bytes.size() - (i == entry_ ? offset_ : 0);
  return n;
}

}  // namespace vtlab

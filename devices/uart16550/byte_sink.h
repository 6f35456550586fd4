// Where a UART's transmitted bytes go on the host side. Output never flows
// back into the guest, so it needs no record/replay; sinks only write.
#pragma once
#include <cstdio>
#include <string>

#include "core/base/types.h"

namespace vtlab {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(u8 byte) = 0;
  // Pushes buffered bytes out. The machine calls it when a run slice ends, so
  // a prompt without a newline ("login: ") shows up while the guest waits.
  virtual void flush() {}
};

// The process's stdout, through C stdio: flushed at each newline and on
// flush(); whatever is left is flushed by the C runtime at exit, including
// std::exit() paths that skip destructors.
class StdoutSink final : public ByteSink {
 public:
  void write(u8 byte) override;
  void flush() override;
};

// A host file, truncated on open. Throws vtlab::Error naming the path if it
// cannot be opened. Flushed at each newline (so `tail -f` follows a run) and
// closed by the destructor.
class FileSink final : public ByteSink {
 public:
  explicit FileSink(const std::string& path);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(u8 byte) override;
  void flush() override;

 private:
  std::FILE* file_;
};

// Keeps everything in memory: for tests and for the debugger's console view.
class CaptureSink final : public ByteSink {
 public:
  void write(u8 byte) override { text_.push_back(char(byte)); }
  const std::string& text() const { return text_; }
  void clear() { text_.clear(); }

 private:
  std::string text_;
};

}  // namespace vtlab

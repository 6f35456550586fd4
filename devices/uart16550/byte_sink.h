// Where a UART's transmitted bytes go on the host side. Output never flows
// back into the guest, so it needs no record/replay; sinks only write.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/base/host_file.h"
#include "core/base/types.h"

namespace vtlab {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(u8 byte) = 0;
  // Pushes buffered bytes out. The machine calls it when a run slice ends, so
  // a prompt without a newline ("login: ") shows up while the guest waits.
  virtual void flush() {}
  // Why output stopped working (the OS's reason for a failed write), or
  // empty. After a failure the sink drops what it is given; the machine ends
  // the run with this message.
  virtual std::string failure() const { return {}; }
  // Called once when output fails (the machine stops the run there).
  std::function<void()> on_failure;
};

// A host file descriptor, written through a small buffer that is flushed at
// each newline (so `tail -f` and a terminal follow the run), when full, on
// flush() and by the destructor. A write that fails (a full disk, /dev/full,
// a pipe whose reader has gone) is recorded with the OS's reason in
// failure(); nothing is silently dropped before it.
class FdSink : public ByteSink {
 public:
  // `what` names the output in the failure message ("standard output").
  // The first form borrows `fd`, the second owns it.
  FdSink(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  FdSink(HostFd fd, std::string what) : owned_(std::move(fd)), fd_(owned_.get()), what_(std::move(what)) {}
  ~FdSink() override;
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;

  void write(u8 byte) override;
  void flush() override;
  std::string failure() const override { return failure_; }

 private:
  HostFd owned_;
  int fd_;
  static constexpr std::size_t kBufferSize = 4096;
  std::string what_;
  std::vector<u8> buffer_;
  std::string failure_;
};

// The process's standard output (file descriptor 1).
class StdoutSink final : public FdSink {
 public:
  StdoutSink() : FdSink(1, "standard output") {}
};

// A host file (created or truncated), a character device (/dev/null, a tty)
// or a FIFO that already has a reader; see open_output_file. Throws
// vtlab::Error naming the path if it cannot be opened. Closed by the
// destructor.
class FileSink final : public FdSink {
 public:
  explicit FileSink(const std::string& path);
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

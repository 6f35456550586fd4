// Host-side byte sources for a UART's receiver. The UART polls them only from
// scheduler events, i.e. at fixed virtual times, so a file-fed run is
// repeatable bit for bit.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/base/host_file.h"
#include "core/base/input.h"

namespace vtlab {

// A regular host file, handed out one byte per poll: the bytes it had when
// it was opened, read in chunks as the guest consumes them (memory stays
// small however large the file). Anything but a regular file (a FIFO, a
// directory, /dev/zero) is refused at construction with a vtlab::Error that
// names the path; live input comes from StdinInput.
class FileInput final : public ByteInput {
 public:
  explicit FileInput(const std::string& path);
  std::optional<u8> poll() override;
  std::string failure() const override { return failure_; }
  bool exhausted() const override { return consumed_ == size_ || !failure_.empty(); }
  u64 remaining() const { return size_ - consumed_; }

 private:
  static constexpr std::size_t kChunk = 64 * 1024;
  std::string path_;
  HostFd fd_;
  u64 size_ = 0;      // at open: later growth is not read, so a run sees one snapshot
  u64 consumed_ = 0;  // bytes handed out
  std::vector<u8> chunk_;
  std::size_t next_ = 0;  // in chunk_
  std::string failure_;
};

// Live input from a host file descriptor (stdin by default), read without
// blocking: poll() returns a byte only if the host has one ready right now.
// Live input makes a run depend on host timing; record/replay wraps this
// object (recording each byte with its instruction count) to restore
// determinism. The descriptor is not switched to O_NONBLOCK, because that flag
// would also change the terminal for the shell that started us.
class StdinInput final : public ByteInput {
 public:
  explicit StdinInput(int fd = 0) : fd_(fd) {}
  std::optional<u8> poll() override;
  bool at_eof() const { return eof_; }
  bool exhausted() const override { return eof_ && next_ == buffer_.size(); }

 private:
  int fd_;
  bool eof_ = false;
  std::vector<u8> buffer_;
  std::size_t next_ = 0;
};

}  // namespace vtlab

// Host-side byte sources for a UART's receiver. The UART polls them only from
// scheduler events, i.e. at fixed virtual times, so a file-fed run is
// repeatable bit for bit.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "core/base/input.h"

namespace vtlab {

// A whole host file, read at construction and handed out one byte per poll.
// Throws vtlab::Error naming the path if it cannot be read.
class FileInput final : public ByteInput {
 public:
  explicit FileInput(const std::string& path);
  std::optional<u8> poll() override;
  std::size_t remaining() const { return bytes_.size() - next_; }

 private:
  std::vector<u8> bytes_;
  std::size_t next_ = 0;
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

 private:
  int fd_;
  bool eof_ = false;
  std::vector<u8> buffer_;
  std::size_t next_ = 0;
};

}  // namespace vtlab

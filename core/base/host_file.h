// Opening the host files a user names (kernel image, modules, serial input
// and output, the log file) so that opening never blocks and every refusal
// says what the path is and why it cannot be used. A FIFO with no writer, a
// device that reads without end (/dev/zero) or a directory gives a
// vtlab::Error, never a hang.
#pragma once
#include <sys/types.h>

#include <string>

#include "core/base/types.h"

namespace vtlab {

// An owned file descriptor (closed by the destructor).
class HostFd {
 public:
  HostFd() = default;
  explicit HostFd(int fd) : fd_(fd) {}
  HostFd(HostFd&& o) noexcept : fd_(o.release()) {}
  HostFd& operator=(HostFd&& o) noexcept;
  HostFd(const HostFd&) = delete;
  HostFd& operator=(const HostFd&) = delete;
  ~HostFd();

  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// "a directory", "a FIFO (named pipe)", "a character device", ... for messages.
const char* file_kind(mode_t mode);

struct ReadableFile {
  HostFd fd;
  u64 size = 0;
};

// Opens `path` for reading whole. Only a regular file is accepted: anything
// else (a directory, a FIFO, a device such as /dev/zero, a socket) is refused
// before it is opened, so no open blocks and no read runs without end.
// Errors read "cannot read <role> '<path>': <why>".
ReadableFile open_regular_file(const std::string& path, const std::string& role);

// Opens `path` for writing: a regular file (created or truncated), a
// character device (/dev/null, a tty), or a FIFO that a reader already has
// open (opening one without a reader fails at once instead of waiting for
// one). Directories, block devices and sockets are refused.
// Errors read "cannot write <role> '<path>': <why>".
HostFd open_output_file(const std::string& path, const std::string& role);

}  // namespace vtlab

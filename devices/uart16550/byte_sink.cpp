#include "devices/uart16550/byte_sink.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vtlab {

FdSink::~FdSink() { flush(); }

void FdSink::write(u8 byte) {
  if (!failure_.empty()) return;
  buffer_.push_back(byte);
  if (byte == '\n' || buffer_.size() >= kBufferSize) flush();
}

void FdSink::flush() {
  std::size_t done = 0;
  while (done < buffer_.size() && failure_.empty()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n >= 0) {
      done += std::size_t(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // A descriptor someone else made non-blocking (a shared terminal):
      // wait until it takes more, as a blocking write would.
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, -1);
    } else if (errno != EINTR) {
      failure_ = "cannot write serial output to " + what_ + ": " + std::strerror(errno);
      if (on_failure) on_failure();
    }
  }
  buffer_.clear();
}

FileSink::FileSink(const std::string& path) : FdSink(open_output_file(path, "serial output file"), "'" + path + "'") {}

}  // namespace vtlab

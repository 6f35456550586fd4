#include "devices/uart16550/host_input.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/base/error.h"

namespace vtlab {

FileInput::FileInput(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open serial input file '" + path + "': " + std::strerror(errno));
  bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read serial input file '" + path + "'");
}

std::optional<u8> FileInput::poll() {
  if (next_ == bytes_.size()) return std::nullopt;
  return bytes_[next_++];
}

std::optional<u8> StdinInput::poll() {
  if (next_ == buffer_.size() && !eof_) {
    buffer_.clear();
    next_ = 0;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP))) {
      u8 chunk[256];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n > 0) {
        buffer_.assign(chunk, chunk + n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        eof_ = true;  // end of input or an unreadable descriptor: stop asking
      }
    } else if (p.revents & (POLLERR | POLLNVAL)) {
      eof_ = true;
    }
  }
  if (next_ == buffer_.size()) return std::nullopt;
  return buffer_[next_++];
}

}  // namespace vtlab

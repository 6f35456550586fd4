#include "devices/uart16550/host_input.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vtlab {

FileInput::FileInput(const std::string& path) : path_(path) {
  ReadableFile f = open_regular_file(path, "serial input file");
  fd_ = std::move(f.fd);
  size_ = f.size;
}

std::optional<u8> FileInput::poll() {
  if (next_ == chunk_.size()) {
    if (consumed_ == size_ || !failure_.empty()) return std::nullopt;
    chunk_.resize(std::size_t(std::min<u64>(kChunk, size_ - consumed_)));
    next_ = 0;
    ssize_t n;
    do n = ::pread(fd_.get(), chunk_.data(), chunk_.size(), off_t(consumed_));
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      failure_ = "cannot read serial input file '" + path_ +
                 "': " + (n < 0 ? std::strerror(errno) : "the file shrank while being read");
      chunk_.clear();
      return std::nullopt;
    }
    chunk_.resize(std::size_t(n));
  }
  ++consumed_;
  return chunk_[next_++];
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

#include "core/base/host_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/error.h"

namespace vtlab {

HostFd& HostFd::operator=(HostFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

HostFd::~HostFd() {
  if (fd_ >= 0) ::close(fd_);
}

const char* file_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

namespace {

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

ReadableFile open_regular_file(const std::string& path, const std::string& role) {
  auto fail = [&](const std::string& why) { return Error("cannot read " + role + " " + quoted(path) + ": " + why); };
  auto refuse = [&](mode_t mode) { return fail(std::string("it is ") + file_kind(mode) + ", not a regular file"); };
  // stat first, so a device or FIFO is never opened (opening one can block
  // or have side effects); O_NONBLOCK in case the path changes in between;
  // fstat on the descriptor, so the checks apply to what is actually read.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw refuse(st.st_mode);
  HostFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (fd.get() < 0) throw fail(std::strerror(errno));
  if (::fstat(fd.get(), &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw refuse(st.st_mode);
  return ReadableFile{std::move(fd), u64(st.st_size)};
}

HostFd open_output_file(const std::string& path, const std::string& role) {
  auto fail = [&](const std::string& why) { return Error("cannot write " + role + " " + quoted(path) + ": " + why); };
  auto refuse = [&](mode_t mode) {
    return fail(std::string("it is ") + file_kind(mode) +
                "; output goes to a regular file, a character device or a FIFO");
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw refuse(st.st_mode);
  // O_NONBLOCK: opening a FIFO for writing fails with ENXIO when nothing has
  // it open for reading, instead of waiting for a reader.
  HostFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666));
  if (fd.get() < 0) {
    if (errno == ENXIO && S_ISFIFO(st.st_mode))
      throw fail("it is a FIFO (named pipe) that no process has open for reading");
    throw fail(std::strerror(errno));
  }
  if (::fstat(fd.get(), &st) != 0) throw fail(std::strerror(errno));
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) throw refuse(st.st_mode);
  // Writes may wait for a slow reader (a pipe, a terminal) like any program's
  // output; only the open had to be non-blocking.
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace vtlab

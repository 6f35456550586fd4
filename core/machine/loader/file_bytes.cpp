#include "core/machine/loader/file_bytes.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/host_file.h"
#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {

bool FileBytes::contains(u64 offset, u64 length) const {
  auto end = checked_add(offset, length);
  return end && *end <= size();
}

std::span<const u8> FileBytes::slice(u64 offset, u64 length, const std::string& what) const {
  if (!contains(offset, length)) {
    fail(what + " (" + std::to_string(length) + " bytes at offset " + hex(offset) +
         ") extends past the end of the file (" + std::to_string(size()) + " bytes)");
  }
  return bytes_.subspan(offset, length);
}

u16 FileBytes::u16_at(u64 offset, const char* field) const {
  auto b = slice(offset, 2, field);
  return static_cast<u16>(b[0] | b[1] << 8);
}

u32 FileBytes::u32_at(u64 offset, const char* field) const {
  auto b = slice(offset, 4, field);
  return u32{b[0]} | u32{b[1]} << 8 | u32{b[2]} << 16 | u32{b[3]} << 24;
}

u64 FileBytes::u64_at(u64 offset, const char* field) const {
  auto b = slice(offset, 8, field);
  u64 value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | b[i];
  return value;
}

void FileBytes::fail(const std::string& message) const { throw Error(name_ + ": " + message); }

namespace {

ReadableFile open_with_limit(const std::string& path, const char* role, u64 max_size, const std::string& limit) {
  ReadableFile f = open_regular_file(path, role);
  if (f.size > max_size) {
    throw Error(std::string("cannot read ") + role + " '" + path + "': it is " + std::to_string(f.size) +
                " bytes, larger than " + limit + " (" + std::to_string(max_size) + " bytes)");
  }
  return f;
}

}  // namespace

MappedFile::MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    if (data_) ::munmap(const_cast<u8*>(data_), size_);
    data_ = o.data_, size_ = o.size_;
    o.data_ = nullptr, o.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<u8*>(data_), size_);
}

MappedFile map_whole_file(const std::string& path, const char* role, u64 max_size, const std::string& limit) {
  ReadableFile f = open_with_limit(path, role, max_size, limit);
  MappedFile m;
  if (f.size == 0) return m;  // mmap refuses an empty range; the span is empty
  void* p = ::mmap(nullptr, f.size, PROT_READ, MAP_PRIVATE, f.fd.get(), 0);
  if (p == MAP_FAILED) throw Error(std::string("cannot read ") + role + " '" + path + "': " + std::strerror(errno));
  m.data_ = static_cast<const u8*>(p);
  m.size_ = f.size;
  return m;
}

std::vector<u8> read_whole_file(const std::string& path, const char* role, u64 max_size, const std::string& limit) {
  ReadableFile f = open_with_limit(path, role, max_size, limit);
  std::vector<u8> bytes(f.size);
  for (u64 done = 0; done < f.size;) {
    ssize_t n = ::pread(f.fd.get(), bytes.data() + done, f.size - done, off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(std::string("cannot read ") + role + " '" + path + "': " + std::strerror(errno));
    if (n == 0) throw Error(std::string("cannot read ") + role + " '" + path + "': the file shrank while being read");
    done += u64(n);
  }
  return bytes;
}

}  // namespace vtlab::loader

// A file's bytes with its name: every read is bounds-checked and every
// failure becomes a vtlab::Error that starts with the file name, so a
// malformed image can only ever produce a message, never an out-of-bounds
// access.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/types.h"

namespace vtlab::loader {

class FileBytes {
 public:
  FileBytes(std::string name, std::span<const u8> bytes) : name_(std::move(name)), bytes_(bytes) {}

  const std::string& name() const { return name_; }
  u64 size() const { return bytes_.size(); }
  std::span<const u8> all() const { return bytes_; }

  // Little-endian reads; `field` names what is read, for the message.
  u16 u16_at(u64 offset, const char* field) const;
  u32 u32_at(u64 offset, const char* field) const;
  u64 u64_at(u64 offset, const char* field) const;
  // `length` bytes at `offset`, or an error naming `what`.
  std::span<const u8> slice(u64 offset, u64 length, const std::string& what) const;
  bool contains(u64 offset, u64 length) const;

  // Throws Error("<file name>: <message>").
  [[noreturn]] void fail(const std::string& message) const;

 private:
  std::string name_;
  std::span<const u8> bytes_;
};

// A regular file's bytes, mapped read-only: the loader reads only the pages
// it parses (headers, loaded segments), so a kernel with megabytes of debug
// information, or a sparse file, costs only what is used. (Truncating the
// file while vtlab loads it is the one thing it cannot survive: the kernel
// then raises SIGBUS, as for any mapped file.)
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const u8> bytes() const { return {data_, size_}; }

 private:
  friend MappedFile map_whole_file(const std::string&, const char*, u64, const std::string&);
  const u8* data_ = nullptr;
  u64 size_ = 0;
};

// Both refuse anything but a regular file (a directory, a FIFO, a device
// such as /dev/zero) without blocking, and a file larger than `max_size`
// before reading any of it; `limit` names the maximum for the message
// ("the guest RAM set by --mem"). `role` ("kernel", "module")
// goes into every message with the path.
MappedFile map_whole_file(const std::string& path, const char* role, u64 max_size, const std::string& limit);
std::vector<u8> read_whole_file(const std::string& path, const char* role, u64 max_size, const std::string& limit);

}  // namespace vtlab::loader

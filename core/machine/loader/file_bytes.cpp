#include "core/machine/loader/file_bytes.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

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

std::vector<u8> read_whole_file(const std::string& path, const char* role, u64 max_size) {
  auto cannot = [&](const std::string& why) -> Error {
    return Error(std::string("cannot read ") + role + " '" + path + "': " + why);
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw cannot(std::strerror(errno));
  // fstat on the open file, so the checks apply to what we actually read.
  struct stat info {};
  if (fstat(fileno(file.get()), &info) != 0) throw cannot(std::strerror(errno));
  if (!S_ISREG(info.st_mode)) throw cannot("not a regular file");
  u64 size = static_cast<u64>(info.st_size);
  if (size > max_size) {
    throw cannot("it is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_size) +
                 " bytes that can be loaded");
  }
  std::vector<u8> bytes(size);
  if (size != 0 && std::fread(bytes.data(), 1, size, file.get()) != size) {
    throw cannot(std::ferror(file.get()) ? std::strerror(errno) : "file shrank while reading");
  }
  return bytes;
}

}  // namespace vtlab::loader

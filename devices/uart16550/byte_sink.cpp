#include "devices/uart16550/byte_sink.h"

#include <cerrno>
#include <cstring>

#include "core/base/error.h"

namespace vtlab {

void StdoutSink::write(u8 byte) {
  std::fputc(byte, stdout);
  if (byte == '\n') std::fflush(stdout);
}

void StdoutSink::flush() { std::fflush(stdout); }

FileSink::FileSink(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
  if (!file_) throw Error("cannot open serial output file '" + path + "': " + std::strerror(errno));
}

FileSink::~FileSink() { std::fclose(file_); }

void FileSink::write(u8 byte) {
  std::fputc(byte, file_);
  if (byte == '\n') std::fflush(file_);
}

void FileSink::flush() { std::fflush(file_); }

}  // namespace vtlab

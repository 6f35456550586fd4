// Shared test helpers: default options, loading from bytes, capturing the
// error message a load gives.
#pragma once
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/machine/boot_image.h"
#include "core/machine/loader/load_image.h"
#include "tests/loader/image_builder.h"

namespace loader_test {

constexpr u64 kMiB = 1 << 20;

inline vtlab::BootOptions options(std::string cmdline = "args", u64 ram = 128 * kMiB,
                                  std::vector<std::string> module_paths = {}) {
  vtlab::BootOptions o;
  o.image_path = "kernel.elf";
  o.cmdline = std::move(cmdline);
  o.module_paths = std::move(module_paths);
  o.ram_size = ram;
  return o;
}

inline vtlab::BootImage load(const Bytes& image, const vtlab::BootOptions& o, const std::vector<Bytes>& modules = {}) {
  return vtlab::load_image_from_bytes(image, modules, o);
}

// The message of the vtlab::Error the load throws, or a marker if it loads.
inline std::string load_error(const Bytes& image, const vtlab::BootOptions& o, const std::vector<Bytes>& modules = {}) {
  try {
    load(image, o, modules);
  } catch (const vtlab::Error& e) {
    return e.what();
  }
  return "<loaded without an error>";
}

inline bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace loader_test

// Checks that `message` contains `needle`, printing the message when not.
#define CHECK_MSG_HAS(message, needle) CHECK_MESSAGE(loader_test::contains(message, needle), "message: " << (message))

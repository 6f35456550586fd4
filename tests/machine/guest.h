// Tiny guests for Machine tests: code bytes placed at an address, entered in
// real mode (below 1 MiB) or flat 32-bit protected mode.
#pragma once
#include <memory>
#include <vector>

#include "core/machine/machine.h"

namespace machine_test {

inline vtlab::BootImage code_at(vtlab::u64 addr, std::vector<vtlab::u8> code) {
  vtlab::BootImage img;
  vtlab::BootBlob b;
  b.addr = addr;
  b.bytes = std::move(code);
  b.what = "test code";
  img.blobs.push_back(b);
  img.mode = addr < 0x100000 ? vtlab::StartMode::Real16 : vtlab::StartMode::Protected32;
  img.entry = addr;
  return img;
}

// jmp $ : spins forever.
inline const std::vector<vtlab::u8> kSpin = {0xeb, 0xfe};

}  // namespace machine_test

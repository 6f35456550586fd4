// A few x86-64 encodings, enough to write the structured parts of a hostile
// guest (storms, sleds, handlers) into a byte buffer. Encodings: SDM Vol. 2
// (opcode map, Appendix A; ModR/M and REX, §2.1-2.2).
#pragma once
#include <initializer_list>
#include <vector>

#include "core/base/types.h"
#include "cpu/state.h"

namespace vtlab::robustness {

class CodeEmitter {
 public:
  // Emits at guest address `base`; `capacity` bytes at most.
  CodeEmitter(u64 base, size_t capacity) : base_(base), capacity_(capacity) {}

  u64 here() const { return base_ + bytes_.size(); }
  size_t size() const { return bytes_.size(); }
  bool full(size_t reserve) const { return bytes_.size() + reserve > capacity_; }
  const std::vector<u8>& bytes() const { return bytes_; }

  void raw(std::initializer_list<u8> b) { bytes_.insert(bytes_.end(), b); }
  void byte(u8 b) { bytes_.push_back(b); }
  void imm32(u32 v) {
    for (int k = 0; k < 4; ++k) byte(u8(v >> (8 * k)));
  }
  void imm64(u64 v) {
    for (int k = 0; k < 8; ++k) byte(u8(v >> (8 * k)));
  }
  // Overwrites 4 bytes at offset `at` (to patch a forward branch).
  void patch32(size_t at, u32 v) {
    for (int k = 0; k < 4; ++k) bytes_[at + k] = u8(v >> (8 * k));
  }

  void mov_imm64(Gpr r, u64 v) {  // REX.W B8+r io
    byte(u8(0x48 | (r >> 3)));
    byte(u8(0xb8 + (r & 7)));
    imm64(v);
  }
  void mov_dx_imm16(u16 port) { raw({0x66, 0xba, u8(port), u8(port >> 8)}); }
  void jmp_to(u64 target) {  // E9 rel32
    byte(0xe9);
    imm32(u32(target - (here() + 4)));
  }
  void jmp_rax() { raw({0xff, 0xe0}); }
  void ud2() { raw({0x0f, 0x0b}); }
  void iretq() { raw({0x48, 0xcf}); }
  void add_rsp_8() { raw({0x48, 0x83, 0xc4, 0x08}); }                                   // drop an error code
  void add_to_saved_rip(u8 n) { raw({0x48, 0x83, 0x04, 0x24, n}); }                     // add qword [rsp], n
  void set_saved_tf() { raw({0x48, 0x81, 0x4c, 0x24, 0x10, 0x00, 0x01, 0x00, 0x00}); }  // or qword [rsp+16], TF
  void mov_saved_rip_rax() { raw({0x48, 0x89, 0x04, 0x24}); }                           // mov [rsp], rax
  void set_tf() { raw({0x9c, 0x48, 0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00, 0x9d}); }  // pushfq; or [rsp]; popfq
  // Stores RAX into the 8 bytes at `target` (RIP-relative): mov [rip+d], rax.
  void store_rax_at(u64 target) {
    raw({0x48, 0x89, 0x05});
    imm32(u32(target - (here() + 4)));
  }
  // inc byte [rip+d] for the byte at `target`.
  void inc_byte_at(u64 target) {
    raw({0xfe, 0x05});
    imm32(u32(target - (here() + 4)));
  }

 private:
  u64 base_;
  size_t capacity_;
  std::vector<u8> bytes_;
};

}  // namespace vtlab::robustness

// A DmaPort over a small byte array standing in for guest RAM at
// [base, base + size); anything outside fails, like open bus.
#pragma once
#include <cstring>
#include <vector>

#include "core/base/io.h"

namespace firmware_test {

class FakeDma final : public vtlab::DmaPort {
 public:
  FakeDma(vtlab::u64 base, vtlab::u64 size) : base_(base), ram_(size, 0) {}
  bool dma_read(vtlab::u16 rid, vtlab::u64 addr, void* dst, vtlab::u64 len) override {
    last_rid = rid;
    if (!inside(addr, len)) return false;
    std::memcpy(dst, ram_.data() + (addr - base_), len);
    return true;
  }
  bool dma_write(vtlab::u16 rid, vtlab::u64 addr, const void* src, vtlab::u64 len) override {
    last_rid = rid;
    if (!inside(addr, len)) return false;
    std::memcpy(ram_.data() + (addr - base_), src, len);
    return true;
  }
  std::vector<vtlab::u8>& ram() { return ram_; }
  vtlab::u8& at(vtlab::u64 addr) { return ram_.at(addr - base_); }
  void put_be(vtlab::u64 addr, vtlab::u64 v, unsigned size) {
    for (unsigned i = 0; i < size; ++i) at(addr + i) = vtlab::u8(v >> (8 * (size - 1 - i)));
  }
  vtlab::u64 get_be(vtlab::u64 addr, unsigned size) {
    vtlab::u64 v = 0;
    for (unsigned i = 0; i < size; ++i) v = v << 8 | at(addr + i);
    return v;
  }
  vtlab::u16 last_rid = 0;

 private:
  bool inside(vtlab::u64 addr, vtlab::u64 len) const {
    return addr >= base_ && len <= ram_.size() && addr - base_ <= ram_.size() - len;
  }
  vtlab::u64 base_;
  std::vector<vtlab::u8> ram_;
};

}  // namespace firmware_test

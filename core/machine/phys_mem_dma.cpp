#include "core/machine/phys_mem_dma.h"

namespace vtlab {

bool PhysMemDma::dma_read(u16, u64 addr, void* dst, u64 len) {
  if (!mem_.is_ram(addr, len)) return false;
  mem_.read_block(addr, dst, len);
  return true;
}

bool PhysMemDma::dma_write(u16, u64 addr, const void* src, u64 len) {
  if (!mem_.is_ram(addr, len)) return false;
  mem_.write_block(addr, src, len);
  return true;
}

}  // namespace vtlab

// The DmaPort of a machine without an IOMMU: bus addresses are guest-physical
// addresses, and a transfer reaches RAM only (devices do not DMA to each
// other's MMIO here), and one transfer lies in one RAM range (RAM below 3
// GiB and RAM from 4 GiB are not contiguous). Writes go through
// PhysMem::write_block, so they invalidate decoded code like a CPU store.
#pragma once
#include "core/base/io.h"
#include "mmu/phys_mem.h"

namespace vtlab {

class PhysMemDma final : public DmaPort {
 public:
  explicit PhysMemDma(PhysMem& mem) : mem_(mem) {}
  bool dma_read(u16 requester_id, u64 addr, void* dst, u64 len) override;
  bool dma_write(u16 requester_id, u64 addr, const void* src, u64 len) override;

 private:
  PhysMem& mem_;
};

}  // namespace vtlab

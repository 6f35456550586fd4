// Guest-physical address space: RAM (allocated lazily by the host: an
// anonymous NORESERVE mapping costs only the pages the guest touches) and
// MMIO ranges dispatched to devices. Also tracks which RAM pages hold
// decoded code, so writes to them can invalidate the CPU's block cache.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "core/base/io.h"
#include "core/base/log.h"
#include "core/base/types.h"

namespace vtlab {

// Told when something writes to a page that holds decoded code (each vCPU
// keeps its own decoded blocks, so each is a listener).
class CodeWriteListener {
 public:
  virtual ~CodeWriteListener() = default;
  virtual void on_code_write(u64 page_pa) = 0;
  // The page has just become a code page (of any listener): a fast write
  // path to it must go, so that every write to it is seen.
  virtual void on_code_page_marked(u64 page_pa) { (void)page_pa; }
};

class PhysMem {
 public:
  static constexpr u64 kPageSize = 4096;
  static constexpr u64 kHoleStart = 0xc0000000;  // RAM above 3 GiB is relocated
  static constexpr u64 kAbove4G = 0x100000000;   // to start at 4 GiB (PC layout)

  explicit PhysMem(u64 ram_size);
  ~PhysMem();
  PhysMem(const PhysMem&) = delete;
  PhysMem& operator=(const PhysMem&) = delete;

  u64 ram_size() const { return ram_size_; }

  // Host pointer for a RAM page, or nullptr if pa is not RAM (MMIO or
  // unbacked). The pointer is valid to the end of pa's 4 KiB page.
  u8* ram_ptr(u64 pa) const {
    if (pa < low_end_) return ram_ + pa;
    if (pa >= kAbove4G && pa - kAbove4G < high_size_) return ram_ + kHoleStart + (pa - kAbove4G);
    return nullptr;
  }

  // Whether [pa, pa+len) is all RAM (one contiguous range, no hole or MMIO).
  bool is_ram(u64 pa, u64 len) const {
    if (len == 0) return true;
    const u64 last = pa + len - 1;
    if (last < pa || !ram_ptr(pa) || !ram_ptr(last)) return false;
    return (pa < low_end_) == (last < low_end_);
  }

  void map_mmio(u64 base, u64 size, MmioDevice* dev, std::string name);

  // Slow path, any address and size 1..8 (may cross pages): RAM, MMIO, or
  // open bus (reads all ones, writes ignored).
  u64 read(u64 pa, unsigned size);
  void write(u64 pa, unsigned size, u64 value);
  // Any length: RAM by page-sized chunks; outside RAM, a chunk of 1, 2, 4 or
  // 8 bytes within a page is one device access, anything else bytes.
  void read_block(u64 pa, void* dst, u64 len);
  void write_block(u64 pa, const void* src, u64 len);

  // Code tracking (self-modifying code). A page marked as code is never
  // given out for fast writes; every write through this class to it
  // notifies the listeners that marked it. Listeners (one per vCPU) have
  // ids 0..kMaxCodeListeners-1; a page is code while any of them holds it.
  static constexpr unsigned kMaxCodeListeners = 16;
  unsigned add_code_listener(CodeWriteListener* l);  // throws Error when full
  void remove_code_listener(unsigned id);
  // The one listener, id 0 (tests of this class).
  void set_code_listener(CodeWriteListener* l);
  void mark_code_page(u64 pa, unsigned id = 0);
  void unmark_code_page(u64 pa, unsigned id = 0);
  bool is_code_page(u64 pa) const {
    u64 idx = page_index(pa);
    return idx < page_count_ && code_pages_[idx];
  }
  // Writes that bypass the CPU's TLB (DMA, loaders) call this after writing.
  void note_write(u64 pa, u64 len);

  // RAM that was ever written, in 2 MiB chunks (the rest reads as zero).
  // Everything that hands out a writable host pointer or writes RAM marks
  // it, so whole-RAM work (the state hash, snapshots) costs in proportion
  // to what the guest touched, not to --mem.
  static constexpr u64 kChunkSize = u64(2) << 20;
  void note_touched(u64 pa) {
    u64 idx = page_index(pa);
    if (idx < page_count_) {
      touched_[idx >> 15] |= u64(1) << ((idx >> 9) & 63);
      touched_pages_[idx >> 6] |= u64(1) << (idx & 63);
    }
  }
  // Calls fn(host_offset, host_pointer) for each page ever written, in
  // ascending order; host_offset counts RAM bytes from 0 (hole removed).
  // The chunk bits are a summary, so untouched 2 MiB stretches cost a bit.
  template <typename Fn>
  void for_each_touched_page(Fn fn) const {
    for (u64 w = 0; w < touched_.size(); ++w)
      for (u64 bits = touched_[w]; bits; bits &= bits - 1) {
        const u64 chunk = (w << 6) + u64(__builtin_ctzll(bits));
        for (u64 pw = chunk * 8; pw < chunk * 8 + 8; ++pw)
          for (u64 pb = touched_pages_[pw]; pb; pb &= pb - 1) {
            const u64 off = ((pw << 6) + u64(__builtin_ctzll(pb))) * kPageSize;
            if (off < ram_size_) fn(off, static_cast<const u8*>(ram_ + off));
          }
      }
  }

  // Accesses to addresses nothing claims (open bus) are logged under guest-errors.
  void set_log(Log& log) { log_ = &log; }

 private:
  struct MmioRange {
    u64 base, size;
    MmioDevice* dev;
    std::string name;
  };
  const MmioRange* find_mmio(u64 pa) const;
  u64 page_index(u64 pa) const {
    if (pa < low_end_) return pa >> 12;
    if (pa >= kAbove4G && pa - kAbove4G < high_size_) return (kHoleStart + pa - kAbove4G) >> 12;
    return ~u64(0);
  }

  u64 ram_size_;
  u64 low_end_;    // RAM [0, low_end_)
  u64 high_size_;  // RAM [4 GiB, 4 GiB + high_size_)
  u8* ram_ = nullptr;
  std::vector<MmioRange> mmio_;
  // A bit per listener per RAM page, in a lazily backed mapping like RAM
  // itself: only the parts covering pages that held code cost host memory.
  u64 page_count_ = 0;
  u16* code_pages_ = nullptr;
  std::vector<u64> touched_;      // a bit per 2 MiB chunk
  u64* touched_pages_ = nullptr;  // a bit per page; lazily backed, so it costs what is touched
  CodeWriteListener* listeners_[kMaxCodeListeners] = {};
  Log* log_ = &Log::off();
};

}  // namespace vtlab

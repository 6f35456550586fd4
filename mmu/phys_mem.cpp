#include "mmu/phys_mem.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "core/base/error.h"

namespace vtlab {
namespace {

// Sizes a device register access can have; other lengths go byte by byte.
bool is_access_size(u64 n) { return n == 1 || n == 2 || n == 4 || n == 8; }

}  // namespace

PhysMem::PhysMem(u64 ram_size) : ram_size_(ram_size) {
  if (ram_size < (2u << 20) || (ram_size & (kPageSize - 1)))
    throw Error("guest RAM size must be a multiple of 4 KiB and at least 2 MiB");
  low_end_ = std::min(ram_size, kHoleStart);
  high_size_ = ram_size - low_end_;
  void* p = mmap(nullptr, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("cannot reserve " + std::to_string(ram_size >> 20) + " MiB of guest RAM");
  ram_ = static_cast<u8*>(p);
  page_count_ = ram_size >> 12;
  void* c = mmap(nullptr, page_count_ * sizeof *code_pages_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (c == MAP_FAILED) {
    munmap(ram_, ram_size_);
    throw Error("cannot reserve the code-page map for " + std::to_string(ram_size >> 20) + " MiB of guest RAM");
  }
  code_pages_ = static_cast<u16*>(c);
  touched_.assign((ram_size / kChunkSize + 63) / 64 + 1, 0);
  void* t = mmap(nullptr, touched_.size() * 8 * 512, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (t == MAP_FAILED) throw Error("cannot reserve the written-page map");
  touched_pages_ = static_cast<u64*>(t);
}

PhysMem::~PhysMem() {
  munmap(touched_pages_, touched_.size() * 8 * 512);
  munmap(code_pages_, page_count_ * sizeof *code_pages_);
  munmap(ram_, ram_size_);
}

void PhysMem::map_mmio(u64 base, u64 size, MmioDevice* dev, std::string name) {
  for (const auto& r : mmio_)
    if (base < r.base + r.size && r.base < base + size) throw Error("MMIO range of " + name + " overlaps " + r.name);
  mmio_.push_back({base, size, dev, std::move(name)});
}

const PhysMem::MmioRange* PhysMem::find_mmio(u64 pa) const {
  for (const auto& r : mmio_)
    if (pa - r.base < r.size) return &r;
  return nullptr;
}

u64 PhysMem::read(u64 pa, unsigned size) {
  if ((pa & (kPageSize - 1)) + size <= kPageSize) {
    if (u8* p = ram_ptr(pa)) {
      u64 v = 0;
      std::memcpy(&v, p, size);
      return v;
    }
    if (const MmioRange* r = find_mmio(pa)) return r->dev->mmio_read(pa - r->base, size);
    if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "MMIO address", pa, size, std::nullopt);
    return size == 8 ? ~u64(0) : (u64(1) << (size * 8)) - 1;
  }
  u64 v = 0;
  read_block(pa, &v, size);  // crosses a page: RAM by chunk, anything else by byte
  return v;
}

void PhysMem::write(u64 pa, unsigned size, u64 value) {
  if ((pa & (kPageSize - 1)) + size <= kPageSize) {
    if (u8* p = ram_ptr(pa)) {
      std::memcpy(p, &value, size);
      note_touched(pa);
      note_write(pa, size);
      return;
    }
    if (const MmioRange* r = find_mmio(pa)) return r->dev->mmio_write(pa - r->base, size, value);
    if (log_->on(LogCategory::GuestErrors)) log_unclaimed_access(*log_, "MMIO address", pa, size, value);
    return;
  }
  write_block(pa, &value, size);
}

void PhysMem::read_block(u64 pa, void* dst, u64 len) {
  auto* d = static_cast<u8*>(dst);
  while (len) {
    u64 chunk = std::min(len, kPageSize - (pa & (kPageSize - 1)));
    if (u8* p = ram_ptr(pa)) {
      std::memcpy(d, p, chunk);
    } else if (is_access_size(chunk)) {
      u64 v = read(pa, unsigned(chunk));  // one device access, as the CPU issued it
      std::memcpy(d, &v, chunk);
    } else {
      for (u64 i = 0; i < chunk; ++i) d[i] = u8(read(pa + i, 1));
    }
    pa += chunk, d += chunk, len -= chunk;
  }
}

void PhysMem::write_block(u64 pa, const void* src, u64 len) {
  auto* s = static_cast<const u8*>(src);
  while (len) {
    u64 chunk = std::min(len, kPageSize - (pa & (kPageSize - 1)));
    if (u8* p = ram_ptr(pa)) {
      std::memcpy(p, s, chunk);
      note_touched(pa);
      note_write(pa, chunk);
    } else if (is_access_size(chunk)) {
      u64 v = 0;
      std::memcpy(&v, s, chunk);
      write(pa, unsigned(chunk), v);  // one device access, as the CPU issued it
    } else {
      for (u64 i = 0; i < chunk; ++i) write(pa + i, 1, s[i]);
    }
    pa += chunk, s += chunk, len -= chunk;
  }
}

unsigned PhysMem::add_code_listener(CodeWriteListener* l) {
  for (unsigned id = 0; id < kMaxCodeListeners; ++id) {
    if (!listeners_[id]) {
      listeners_[id] = l;
      return id;
    }
  }
  throw Error("physical memory: more than " + std::to_string(kMaxCodeListeners) + " code listeners");
}

void PhysMem::remove_code_listener(unsigned id) {
  if (id < kMaxCodeListeners) listeners_[id] = nullptr;
}

void PhysMem::set_code_listener(CodeWriteListener* l) {
  for (CodeWriteListener*& slot : listeners_) slot = nullptr;
  listeners_[0] = l;
}

void PhysMem::mark_code_page(u64 pa, unsigned id) {
  u64 idx = page_index(pa);
  if (idx >= page_count_ || id >= kMaxCodeListeners || (code_pages_[idx] >> id) & 1) return;
  const bool first = code_pages_[idx] == 0;
  code_pages_[idx] = u16(code_pages_[idx] | (1u << id));
  if (!first) return;  // nobody holds a fast write path to a code page
  const u64 page = pa & ~(kPageSize - 1);
  for (CodeWriteListener* l : listeners_)
    if (l) l->on_code_page_marked(page);
}

void PhysMem::unmark_code_page(u64 pa, unsigned id) {
  u64 idx = page_index(pa);
  // No write unless the bit is set: keep untouched map pages unbacked.
  if (idx < page_count_ && id < kMaxCodeListeners && ((code_pages_[idx] >> id) & 1))
    code_pages_[idx] = u16(code_pages_[idx] & ~(1u << id));
}

void PhysMem::note_write(u64 pa, u64 len) {
  u64 first = pa & ~(kPageSize - 1), last = (pa + len - 1) & ~(kPageSize - 1);
  for (u64 page = first; page <= last; page += kPageSize) {
    if (!is_code_page(page)) continue;
    for (unsigned bits = code_pages_[page_index(page)], id = 0; bits; bits >>= 1, ++id)
      if ((bits & 1) && listeners_[id]) listeners_[id]->on_code_write(page);
  }
}

}  // namespace vtlab

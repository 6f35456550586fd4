#include "devices/fw_cfg/fw_cfg.h"

#include <algorithm>
#include <array>

#include "core/base/error.h"

namespace vtlab {

using namespace fw_cfg;

namespace {

void put_be(u8* p, u64 value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) p[i] = u8(value >> (8 * (size - 1 - i)));
}

u64 get_be(const u8* p, unsigned size) {
  u64 v = 0;
  for (unsigned i = 0; i < size; ++i) v = v << 8 | p[i];
  return v;
}

// Zeros for DMA reads past an item's end, written in chunks of this size.
constexpr std::array<u8, 4096> kZeros{};

}  // namespace

FwCfg::FwCfg(DmaPort* dma, u16 requester_id) : dma_(dma), requester_id_(requester_id) { clear_items(); }

void FwCfg::attach(PortBus& bus) {
  bus.attach(kSelectorPort, 2, this, "fw_cfg");
  if (dma_) bus.attach(kDmaPort, kDmaPortCount, this, "fw_cfg DMA");
}

void FwCfg::clear_items() {
  items_.clear();
  files_.clear();
  items_[kSignature] = {'Q', 'E', 'M', 'U'};
  set_le(kId, kIdTraditional | (dma_ ? kIdDma : 0), 4);
  rebuild_directory();
}

void FwCfg::set_item(u16 key, std::vector<u8> data) {
  if (data.size() > 0xffffffffu) throw Error("fw_cfg item " + std::to_string(key) + " is larger than 4 GiB");
  if ((normalize(key) & kEntryMask) >= kFileFirst && !(key & kArchLocal))
    throw Error("internal: fw_cfg keys from 0x20 are file items (add_file)");
  items_[normalize(key)] = std::move(data);
  select(selector_);  // the selected item may have changed
}

void FwCfg::set_le(u16 key, u64 value, unsigned size) {
  std::vector<u8> b(size);
  for (unsigned i = 0; i < size; ++i) b[i] = u8(value >> (8 * i));
  set_item(key, std::move(b));
}

void FwCfg::add_file(const std::string& name, std::vector<u8> data) {
  if (name.empty() || name.size() >= kFileNameSize) throw Error("internal: bad fw_cfg file name '" + name + "'");
  if (data.size() > 0xffffffffu) throw Error("fw_cfg file " + name + " is larger than 4 GiB");
  auto at = std::lower_bound(files_.begin(), files_.end(), name,
                             [](const File& f, const std::string& n) { return f.name < n; });
  if (at != files_.end() && at->name == name) {
    at->data = std::move(data);
  } else {
    if (files_.size() >= kEntryMask + 1u - kFileFirst) throw Error("internal: too many fw_cfg files");
    files_.insert(at, File{name, std::move(data)});
  }
  rebuild_directory();
}

// Files are items kFileFirst + i in name order; the directory lists them.
void FwCfg::rebuild_directory() {
  for (auto it = items_.begin(); it != items_.end();)
    it = (it->first >= kFileFirst && it->first <= kEntryMask) ? items_.erase(it) : std::next(it);
  std::vector<u8> dir(4 + files_.size() * kFileEntrySize, 0);
  put_be(dir.data(), files_.size(), 4);
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const u16 key = u16(kFileFirst + i);
    u8* e = &dir[4 + i * kFileEntrySize];
    put_be(e + 0, files_[i].data.size(), 4);
    put_be(e + 4, key, 2);
    std::copy(files_[i].name.begin(), files_[i].name.end(), e + 8);
    items_[key] = files_[i].data;
  }
  items_[kFileDir] = std::move(dir);
  select(selector_);
}

const std::vector<u8>* FwCfg::item(u16 key) const {
  auto it = items_.find(normalize(key));
  return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::select(u16 key) {
  selector_ = key;
  offset_ = 0;
  current_ = item(key);
}

u8 FwCfg::read_data_byte() {
  if (!current_ || offset_ >= current_->size()) return 0;
  return (*current_)[offset_++];
}

u32 FwCfg::port_read(u16 port, unsigned size) {
  if (port >= kDmaPort) {
    // The signature's bytes in register order; only 32-bit reads are valid.
    const unsigned at = port - kDmaPort;
    if (size != 4 || at + size > kDmaPortCount) return 0;
    u32 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= u32(u8(kDmaSignature >> (8 * (7 - at - i)))) << (8 * i);
    return v;
  }
  return size == 1 ? read_data_byte() : 0;
}

void FwCfg::port_write(u16 port, unsigned size, u32 value) {
  if (port >= kDmaPort) {
    if (size == 4) write_dma_half(port - kDmaPort, value);
    return;
  }
  if (port == kSelectorPort && size == 2) select(u16(value));
  // Byte writes are data writes, ignored since QEMU 2.4; other widths are invalid.
}

// `value` arrives as the CPU's little-endian OUT: its bytes in port order
// are the register's bytes, and the register is big-endian.
void FwCfg::write_dma_half(unsigned offset, u32 value) {
  u8 bytes[4];
  for (unsigned i = 0; i < 4; ++i) bytes[i] = u8(value >> (8 * i));
  const u64 half = get_be(bytes, 4);
  if (offset == 0) {
    dma_address_ = half << 32;
  } else if (offset == 4) {
    const u64 descriptor = dma_address_ | half;
    dma_address_ = 0;
    run_dma(descriptor);
  }
}

void FwCfg::run_dma(u64 descriptor) {
  ++dma_transfers_;
  u8 access[kDmaAccessSize];
  bool ok = dma_->dma_read(requester_id_, descriptor, access, sizeof access);
  if (ok) ok = transfer(u32(get_be(access, 4)), u32(get_be(access + 4, 4)), get_be(access + 8, 8));
  if (!ok) ++dma_errors_;
  u8 control[4];
  put_be(control, ok ? 0 : kDmaError, 4);
  dma_->dma_write(requester_id_, descriptor, control, sizeof control);  // nowhere to report a failure here
}

bool FwCfg::transfer(u32 control, u32 length, u64 address) {
  if (control & kDmaSelect) select(u16(control >> 16));
  const u64 available = current_ && offset_ < current_->size() ? current_->size() - offset_ : 0;
  const u64 from_item = std::min<u64>(length, available);
  if (control & kDmaRead) {
    if (from_item && !dma_->dma_write(requester_id_, address, current_->data() + offset_, from_item)) return false;
    offset_ += u32(from_item);
    for (u64 done = from_item; done < length;) {
      const u64 chunk = std::min<u64>(kZeros.size(), length - done);
      if (!dma_->dma_write(requester_id_, address + done, kZeros.data(), chunk)) return false;
      done += chunk;
    }
    return true;
  }
  if (control & kDmaWrite) return length == 0;  // no item is writable
  if (control & kDmaSkip) offset_ += u32(from_item);
  return true;
}

void FwCfg::reset() {
  select(0);
  dma_address_ = 0;
}

void FwCfg::serialize(Serializer& s) {
  u16 selector = selector_;
  u32 offset = offset_;
  s(selector);
  s(offset);
  s(dma_address_);
  if (!s.saving()) {
    select(selector);
    offset_ = offset;
  }
}

FwCfgView FwCfg::view() const {
  FwCfgView v;
  v.selector = selector_;
  v.offset = offset_;
  v.dma_address = dma_address_;
  v.dma_transfers = dma_transfers_;
  v.dma_errors = dma_errors_;
  for (std::size_t i = 0; i < files_.size(); ++i)
    v.files.push_back({files_[i].name, u16(kFileFirst + i), u32(files_[i].data.size())});
  return v;
}

}  // namespace vtlab

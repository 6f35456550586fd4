// One PCI function's configuration space: 4 KiB of registers (the first
// 256 bytes are PCI's, the rest PCI Express extended space, which reads 0
// where nothing is implemented), with per-bit write rules:
// - writable bits (R/W) take the value written;
// - write-one-to-clear bits (R/WC, the status register's error bits) are
//   cleared by writing 1 and kept by writing 0;
// - every other bit is read only: writes leave it as it is.
// A device sets its registers and masks up once (the init/set functions,
// which ignore the rules), then save_power_on() keeps that image for
// reset. Guest accesses (read/write) are 1 to 4 bytes inside one dword, as
// the configuration mechanisms deliver them.
#pragma once
#include <array>
#include <utility>
#include <vector>

#include "core/base/serializer.h"
#include "core/base/types.h"
#include "devices/pci/pci_regs.h"

namespace vtlab {

class PciConfigSpace {
 public:
  static constexpr unsigned kSize = pci::kExtConfigSize;

  // Set-up and the device's own updates: the value as is, rules ignored.
  void init8(u16 offset, u8 value) { bytes_[offset] = value; }
  void init16(u16 offset, u16 value) { init_n(offset, 2, value); }
  void init32(u16 offset, u32 value) { init_n(offset, 4, value); }
  void set_writable(u16 offset, unsigned size, u32 mask) { set_mask(wmask_, offset, size, mask); }
  void set_write_clear(u16 offset, unsigned size, u32 mask) { set_mask(w1c_, offset, size, mask); }

  u8 byte(u16 offset) const { return bytes_[offset]; }
  u16 word(u16 offset) const { return u16(get_n(offset, 2)); }
  u32 dword(u16 offset) const { return u32(get_n(offset, 4)); }
  u32 writable(u16 offset, unsigned size) const { return u32(mask_n(wmask_, offset, size)); }
  u32 write_clear(u16 offset, unsigned size) const { return u32(mask_n(w1c_, offset, size)); }

  // A guest access: size 1-4 bytes, offset + size <= kSize (the bus checks).
  u32 read(u16 offset, unsigned size) const { return u32(get_n(offset, size)); }
  void write(u16 offset, unsigned size, u32 value);

  // Appends a capability (PCI 3.0 §6.7) at `offset` (dword aligned, in
  // [0x40, 0x100 - length]): ID, next pointer 0, and links it from the end
  // of the list (or from the capabilities pointer); sets the status
  // register's Capabilities List bit. Throws vtlab::Error for a bad
  // placement (a programming error in a device model).
  void add_capability(u8 offset, u8 id, u8 length);
  // The capability offsets in list order; a list that loops or leaves
  // [0x40, 0x100) ends there.
  std::vector<u8> capabilities() const;

  void save_power_on() { power_on_ = bytes_; }
  void restore_power_on() { bytes_ = power_on_; }

  // The register values (the masks are the device's constants).
  void serialize(Serializer& s) { s.raw(bytes_.data(), bytes_.size()); }
  // After a load: the read-only bits of [offset, offset + count) back to
  // their power-on values, for registers whose read-only bits are constants
  // (a damaged snapshot cannot change a function's identity).
  void restore_read_only(u16 offset, unsigned count) {
    for (unsigned i = offset; i < offset + count && i < kSize; ++i) {
      const u8 keep = wmask_[i] | w1c_[i];
      bytes_[i] = u8((bytes_[i] & keep) | (power_on_[i] & ~keep));
    }
  }

 private:
  void init_n(u16 offset, unsigned size, u32 value) {
    for (unsigned i = 0; i < size; ++i) bytes_[offset + i] = u8(value >> (8 * i));
  }
  u64 get_n(u16 offset, unsigned size) const {
    u64 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= u64(bytes_[offset + i]) << (8 * i);
    return v;
  }
  static u64 mask_n(const std::array<u8, kSize>& m, u16 offset, unsigned size) {
    u64 v = 0;
    for (unsigned i = 0; i < size; ++i) v |= u64(m[offset + i]) << (8 * i);
    return v;
  }
  static void set_mask(std::array<u8, kSize>& m, u16 offset, unsigned size, u32 mask) {
    for (unsigned i = 0; i < size; ++i) m[offset + i] = u8(mask >> (8 * i));
  }

  std::array<u8, kSize> bytes_{}, wmask_{}, w1c_{}, power_on_{};
  std::vector<std::pair<u8, u8>> capability_extents_;  // offset, length (set-up only)
};

}  // namespace vtlab

// QEMU's firmware configuration device (fw_cfg) on its x86 I/O ports, with
// the DMA interface: firmware and test kernels written for QEMU read the
// machine's configuration (RAM size, vCPUs, the kernel and command line,
// the e820 map, the ACPI tables) from it. Facts in fw_cfg_regs.h.
//
// Modelling decisions (QEMU's behaviour, which is what guests are written
// against):
// - Port 0x510 takes 16-bit writes (select); a byte read at 0x510 or 0x511
//   returns the next byte of the selected item (0 past its end); byte
//   writes are the obsolete data writes and are ignored (QEMU 2.4+). Other
//   widths read 0 and are ignored when written.
// - Selecting an item resets its offset; an unknown item reads as zeros.
//   Bit 14 of the selector is ignored, bit 15 selects the x86 items.
// - The DMA address register (0x514-0x51b) takes 32-bit writes: the high
//   half at 0x514 (clearing the low half), the low half at 0x518, which
//   starts the transfer at once; it reads as "QEMU CFG". The transfer ends
//   before the OUT instruction completes, and the register reads 0 again.
// - A DMA read past the item's end fills with zeros; a skip stops at the
//   end; a DMA write fails (error bit) unless the item is writable and the
//   write lies inside it, and no item is writable (as QEMU's x86 items). A
//   transfer whose descriptor or buffer is not all RAM sets the error bit
//   and stops; memory written before that stays written.
// - Only the error bit is written back to the descriptor's control field
//   (0: done). Host work per transfer is bounded by its length (at most
//   4 GiB) and by guest RAM.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/base/io.h"
#include "core/base/port_bus.h"
#include "core/base/serializer.h"
#include "devices/fw_cfg/fw_cfg_regs.h"

namespace vtlab {

struct FwCfgFileView {
  std::string name;
  u16 select = 0;
  u32 size = 0;
};

// Read-only picture for the debugger.
struct FwCfgView {
  u16 selector = 0;
  u32 offset = 0;
  u64 dma_address = 0;  // as written so far (0 after a transfer)
  u64 dma_transfers = 0;
  u64 dma_errors = 0;
  std::vector<FwCfgFileView> files;  // in directory order
};

class FwCfg final : public PortDevice {
 public:
  // `dma` may be null: then there is no DMA interface (FW_CFG_ID bit 1
  // clear, ports 0x514-0x51b unclaimed). DMA carries `requester_id`.
  FwCfg(DmaPort* dma, u16 requester_id);

  void attach(PortBus& bus);

  u32 port_read(u16 port, unsigned size) override;
  void port_write(u16 port, unsigned size, u32 value) override;

  // Configuration (set up before the guest runs; not part of the state).
  void set_item(u16 key, std::vector<u8> data);
  void set_le(u16 key, u64 value, unsigned size);  // a little-endian number of `size` bytes
  // A named file: listed in the directory, which is kept sorted by name with
  // keys from kFileFirst in that order (as QEMU). Same name: replaced.
  void add_file(const std::string& name, std::vector<u8> data);
  // Back to the items every fw_cfg has: signature, ID and an empty directory.
  void clear_items();
  // The bytes of an item (tests, debugger); null if absent.
  const std::vector<u8>* item(u16 key) const;

  void reset();
  // Saves or loads the selector, the offset and the DMA address register.
  void serialize(Serializer& s);
  FwCfgView view() const;

 private:
  static u16 normalize(u16 key) { return key & (fw_cfg::kArchLocal | fw_cfg::kEntryMask); }
  void select(u16 key);
  u8 read_data_byte();
  void write_dma_half(unsigned offset, u32 value);
  void run_dma(u64 descriptor);
  // One transfer's work; returns false on error.
  bool transfer(u32 control, u32 length, u64 address);
  void rebuild_directory();

  struct File {
    std::string name;
    std::vector<u8> data;
  };

  DmaPort* dma_;
  u16 requester_id_;
  std::map<u16, std::vector<u8>> items_;  // by normalized key
  std::vector<File> files_;               // sorted by name
  // State.
  u16 selector_ = 0;
  u32 offset_ = 0;
  u64 dma_address_ = 0;
  const std::vector<u8>* current_ = nullptr;  // the selected item, if it exists
  u64 dma_transfers_ = 0, dma_errors_ = 0;
};

}  // namespace vtlab

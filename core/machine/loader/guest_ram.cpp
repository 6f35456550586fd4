#include "core/machine/loader/guest_ram.h"

#include <algorithm>

#include "core/base/error.h"
#include "core/machine/platform_layout.h"
#include "core/machine/loader/checked_math.h"
#include "core/machine/loader/hex.h"

namespace vtlab::loader {
namespace {

constexpr u64 kVgaBiosHoleStart = platform::kLowRamEnd;
constexpr u64 kVgaBiosHoleEnd = platform::kBiosAreaEnd;
constexpr u64 kMmioHoleStart = platform::kMmioHoleStart;
constexpr u64 kMmioHoleEnd = k4GiB;

std::vector<MemRange> available_ram(u64 ram_size) {
  std::vector<MemRange> ram;
  for (const MemRange& r : pc_memory_map(ram_size)) {
    if (r.type == kE820Ram && r.length != 0) ram.push_back(r);
  }
  return ram;
}

std::string describe_ram(const std::vector<MemRange>& ram) {
  if (ram.empty()) return "the machine has no RAM";
  std::string text = "guest RAM is";
  for (size_t i = 0; i < ram.size(); ++i) {
    text += (i == 0 ? " " : ", ") + hex_range(ram[i].base, ram[i].base + ram[i].length);
  }
  return text;
}

bool overlaps(u64 begin, u64 end, u64 hole_begin, u64 hole_end) { return begin < hole_end && hole_begin < end; }

}  // namespace

void require_in_ram(const std::string& file, const std::string& what, u64 addr, u64 size, u64 ram_size) {
  auto end = checked_add(addr, size);
  if (!end) {
    throw Error(file + ": " + what + " at " + hex(addr) + " with size " + hex(size) +
                " wraps around the end of the address space");
  }
  auto ram = available_ram(ram_size);
  for (const MemRange& r : ram) {
    if (addr >= r.base && *end <= r.base + r.length) return;
  }
  std::string where = what + " " + hex_range(addr, *end);
  // Name the most likely mistake: starting in a hole, touching the VGA/BIOS
  // area, or simply running past the RAM there is.
  std::string problem;
  if (addr >= kMmioHoleStart && addr < kMmioHoleEnd) {
    problem = " lies in the PCI/MMIO hole " + hex_range(kMmioHoleStart, kMmioHoleEnd) + ", which is not RAM";
  } else if (overlaps(addr, *end, kVgaBiosHoleStart, kVgaBiosHoleEnd)) {
    problem = " overlaps the VGA/BIOS area " + hex_range(kVgaBiosHoleStart, kVgaBiosHoleEnd) + ", which is not RAM";
  } else if (std::optional<u64> acpi = acpi_region_base(ram_size);
             acpi && overlaps(addr, *end, *acpi, *acpi + platform::kAcpiRegionSize) && *end <= low_ram_end(ram_size)) {
    problem = " overlaps the ACPI tables " + hex_range(*acpi, *acpi + platform::kAcpiRegionSize) +
              " at the top of RAM below 3 GiB, which are not free RAM";
  } else {
    problem = " is not inside guest RAM (the machine has " + std::to_string(ram_size >> 20) + " MiB)";
  }
  throw Error(file + ": " + where + problem + "; " + describe_ram(ram));
}

u64 blob_extent(const BootBlob& blob, const std::string& file) {
  auto extent = checked_add(blob.bytes.size(), blob.zero_fill);
  if (!extent) throw Error(file + ": " + blob.what + " has an impossible size");
  return *extent;
}

void require_no_overlap(const std::vector<BootBlob>& blobs, const std::string& file) {
  struct Span {
    u64 begin, end;
    const BootBlob* blob;
  };
  std::vector<Span> spans;
  for (const BootBlob& b : blobs) {
    u64 extent = blob_extent(b, file);
    if (extent == 0) continue;
    auto end = checked_add(b.addr, extent);
    if (!end) throw Error(file + ": " + b.what + " at " + hex(b.addr) + " wraps around the address space");
    spans.push_back({b.addr, *end, &b});
  }
  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.begin < y.begin; });
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) {
      throw Error(file + ": " + spans[i - 1].blob->what + " " + hex_range(spans[i - 1].begin, spans[i - 1].end) +
                  " and " + spans[i].blob->what + " " + hex_range(spans[i].begin, spans[i].end) + " overlap");
    }
  }
}

void require_valid_layout(const BootImage& image, const std::string& file, u64 ram_size) {
  for (const BootBlob& b : image.blobs) require_in_ram(file, b.what, b.addr, blob_extent(b, file), ram_size);
  require_no_overlap(image.blobs, file);
}

GuestAllocator::GuestAllocator(u64 first_free, u64 ram_size, std::string file)
    : cursor_(first_free), file_(std::move(file)) {
  for (const MemRange& r : available_ram(ram_size)) {
    if (r.base >= k4GiB) continue;
    u64 end = std::min(r.base + r.length, k4GiB);
    ram_below_4g_.push_back({r.base, end - r.base, r.type});
  }
}

u64 GuestAllocator::take(u64 size, const std::string& what) {
  for (const MemRange& r : ram_below_4g_) {
    u64 range_end = r.base + r.length;
    auto start = checked_align_up(std::max(cursor_, r.base), kPageSize);
    if (!start || *start > range_end || size > range_end - *start) continue;
    cursor_ = *start + size;
    return *start;
  }
  throw Error(file_ + ": no room for " + what + " (" + std::to_string(size) + " bytes) in guest RAM below 4 GiB after " +
              hex(cursor_) + "; the machine needs more RAM");
}

}  // namespace vtlab::loader

// Walks Multiboot 2 boot information tags in guest memory (spec 2.0
// section 3.6), checking the framing a kernel relies on: 8-byte aligned
// start, total_size, aligned tags, a final end tag.
#pragma once
#include <string>
#include <vector>

#include "tests/loader/guest_view.h"
#include "tests/loader/image_builder.h"

namespace loader_test {

struct Mb2Tag {
  u32 type, size;
  u64 addr;  // guest address of the tag
};

inline std::vector<Mb2Tag> walk_mb2_info(const GuestView& g, u64 info) {
  REQUIRE(info % 8 == 0);
  u32 total = g.u32_at(info);
  CHECK(g.u32_at(info + 4) == 0);  // reserved
  std::vector<Mb2Tag> tags;
  u64 at = info + 8;
  for (;;) {
    REQUIRE(at + 8 <= info + total);
    Mb2Tag t{g.u32_at(at), g.u32_at(at + 4), at};
    REQUIRE(t.size >= 8);
    tags.push_back(t);
    if (t.type == 0) {
      CHECK(t.size == 8);
      CHECK(at + 8 == info + total);  // the end tag closes total_size exactly
      return tags;
    }
    at += (t.size + 7) & ~u32{7};
    REQUIRE(tags.size() < 100);
  }
}

inline std::vector<Mb2Tag> tags_of_type(const std::vector<Mb2Tag>& tags, u32 type) {
  std::vector<Mb2Tag> out;
  for (const Mb2Tag& t : tags) {
    if (t.type == type) out.push_back(t);
  }
  return out;
}

}  // namespace loader_test

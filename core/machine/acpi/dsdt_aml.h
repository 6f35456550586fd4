// The DSDT's AML: dsdt.asl compiled by iasl when vtlab is built (dsdt.cmake).
#pragma once
#include <cstddef>

namespace vtlab::acpi {
extern const unsigned char kDsdtAml[];
extern const std::size_t kDsdtAmlSize;
}  // namespace vtlab::acpi

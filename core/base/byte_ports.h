// Most legacy devices are 8 bits wide. A 16- or 32-bit IN/OUT to them is
// split by the bus into byte accesses at consecutive ports, lowest first
// (PC/AT bus conversion); these helpers do that split for a device's
// byte-wide register functions. The byte functions answer 0xff (and ignore
// writes) for a port that is not theirs, as an empty bus does.
#pragma once
#include "core/base/types.h"

namespace vtlab {

template <typename ReadByte>
u32 read_byte_ports(u16 port, unsigned size, ReadByte&& read_byte) {
  u32 value = 0;
  for (unsigned i = 0; i < size && i < 4; ++i) value |= u32(read_byte(u16(port + i))) << (8 * i);
  return value;
}

template <typename WriteByte>
void write_byte_ports(u16 port, unsigned size, u32 value, WriteByte&& write_byte) {
  for (unsigned i = 0; i < size && i < 4; ++i) write_byte(u16(port + i), u8(value >> (8 * i)));
}

}  // namespace vtlab

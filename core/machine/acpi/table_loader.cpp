#include "core/machine/acpi/table_loader.h"

#include "core/base/error.h"

namespace vtlab::acpi {

namespace {

void put_le(std::vector<u8>& b, std::size_t at, u64 value, unsigned size) {
  for (unsigned i = 0; i < size; ++i) b[at + i] = u8(value >> (8 * i));
}

u64 get_le(const std::vector<u8>& b, std::size_t at, unsigned size) {
  u64 v = 0;
  for (unsigned i = size; i-- > 0;) v = v << 8 | b[at + i];
  return v;
}

void put_name(std::vector<u8>& b, std::size_t at, const std::string& name) {
  if (name.size() >= kLinkerFileNameSize) throw Error("internal: fw_cfg file name too long: " + name);
  for (std::size_t i = 0; i < name.size(); ++i) b[at + i] = u8(name[i]);
}

PlacedFile& file_named(std::map<std::string, PlacedFile>& files, const std::string& name) {
  auto it = files.find(name);
  if (it == files.end()) throw Error("internal: table-loader names an unplaced file " + name);
  return it->second;
}

bool in_file(const PlacedFile& f, u64 offset, u64 size) {
  return offset <= f.bytes.size() && size <= f.bytes.size() - offset;
}

}  // namespace

std::vector<u8> encode_table_loader(const std::vector<LinkerCommand>& commands) {
  std::vector<u8> out(commands.size() * kLinkerCommandSize, 0);
  for (std::size_t i = 0; i < commands.size(); ++i) {
    const LinkerCommand& c = commands[i];
    const std::size_t at = i * kLinkerCommandSize;
    put_le(out, at, u32(c.kind), 4);
    put_name(out, at + 4, c.file);
    switch (c.kind) {
      case LinkerCommand::Kind::Allocate:
        put_le(out, at + 60, c.align, 4);
        out[at + 64] = u8(c.zone);
        break;
      case LinkerCommand::Kind::AddPointer:
        put_name(out, at + 60, c.source_file);
        put_le(out, at + 116, c.offset, 4);
        out[at + 120] = c.pointer_size;
        break;
      case LinkerCommand::Kind::AddChecksum:
        put_le(out, at + 60, c.offset, 4);
        put_le(out, at + 64, c.start, 4);
        put_le(out, at + 68, c.length, 4);
        break;
    }
  }
  return out;
}

void run_table_loader(const std::vector<LinkerCommand>& commands, std::map<std::string, PlacedFile>& files) {
  for (const LinkerCommand& c : commands) {
    PlacedFile& f = file_named(files, c.file);
    switch (c.kind) {
      case LinkerCommand::Kind::Allocate:
        if (c.align == 0 || (c.align & (c.align - 1)) || f.address % c.align)
          throw Error("internal: " + c.file + " is placed against its alignment");
        break;
      case LinkerCommand::Kind::AddPointer: {
        const PlacedFile& src = file_named(files, c.source_file);
        if (!in_file(f, c.offset, c.pointer_size)) throw Error("internal: pointer outside " + c.file);
        // Unsigned addition of the size of the field, wrapping as firmware does.
        put_le(f.bytes, c.offset, get_le(f.bytes, c.offset, c.pointer_size) + src.address, c.pointer_size);
        break;
      }
      case LinkerCommand::Kind::AddChecksum: {
        if (!in_file(f, c.offset, 1) || !in_file(f, c.start, c.length))
          throw Error("internal: checksum outside " + c.file);
        u8 sum = 0;
        for (u32 i = 0; i < c.length; ++i) sum = u8(sum + f.bytes[c.start + i]);
        f.bytes[c.offset] = u8(f.bytes[c.offset] - sum);  // the range then sums to 0
        break;
      }
    }
  }
}

}  // namespace vtlab::acpi

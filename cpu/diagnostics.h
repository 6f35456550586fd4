// What the CPU keeps and says for the person whose guest stopped: the event
// that began a delivery chain gone wrong (a triple fault's summary names
// it), the last unimplemented instruction met (with its bytes), and the
// lines of the log's int, unimp and guest-errors categories
// (core/base/log.h). Messages show instructions with describe_instruction().
#pragma once
#include <array>
#include <span>

#include "core/base/types.h"

namespace vtlab {

class Cpu;
struct Insn;

// The event whose delivery faulted, recorded when the nested delivery starts
// (SDM Vol. 3A §6.15, Table 6-5: the chain that can end in #DF and shutdown).
struct ChainStart {
  bool valid = false;
  u8 vector = 0;
  bool has_error = false;
  u32 error = 0;
  u64 rip = 0;  // the instruction that raised it (for an interrupt: the next to run)
  u16 cs = 0;
  u8 code_size = 0;  // 2, 4 or 8: how to disassemble at rip
};

// An instruction and the bytes it was decoded from.
struct InsnSite {
  u16 mnemonic = 0;  // ZydisMnemonic; 0 for bytes that do not decode
  u64 rip = 0;
  u8 code_size = 0;
  u8 len = 0;  // bytes kept (up to 15)
  std::array<u8, 15> bytes{};
  std::span<const u8> code() const { return {bytes.data(), len}; }
};

// A #UD record keeps up to 15 bytes it was decoded from in imm/imm2, which
// it has no other use for; site_of() reads them back with the CPU's RIP.
void keep_raw_bytes(Insn& insn, const u8* bytes, unsigned avail);
InsnSite site_of(const Cpu& cpu, const Insn& insn);

// Log lines (the caller has checked the category).
void log_delivery(Cpu& cpu, u8 vector, bool has_error, u32 error, u64 return_rip, bool software, bool nested);
void log_invalid_opcode(Cpu& cpu, const Insn& insn);
void log_refused_msr(Cpu& cpu, bool write, u32 index, u64 value);

}  // namespace vtlab

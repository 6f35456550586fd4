// Zydis -> Insn. One Zydis decoder per code size; the handler is chosen from
// the instruction tables at decode time, so execution never decodes again.
#pragma once
#include <Zydis/Zydis.h>

#include <set>

#include "core/base/types.h"
#include "cpu/insn.h"

namespace vtlab {

class Decoder {
 public:
  Decoder();
  // Decodes one instruction from `bytes` (up to `avail` bytes) for a code
  // segment of `code_size` bytes (2, 4, 8). Returns false if the bytes run
  // out before the instruction ends (it continues on the next page).
  // Invalid or unimplemented encodings decode to a #UD instruction.
  bool decode(const u8* bytes, unsigned avail, unsigned code_size, Insn& out);

  // Mnemonics met that have no handler (reported at the end of a run).
  const std::set<u16>& unimplemented() const { return unimplemented_; }

 private:
  ZydisDecoder dec16_, dec32_, dec64_;
  std::set<u16> unimplemented_;
};

// The handler for encodings the CPU rejects (#UD).
void handler_invalid_opcode(class Cpu& cpu, const Insn& insn);
// The handler for an instruction longer than 15 bytes (#GP(0)).
void handler_too_long(class Cpu& cpu, const Insn& insn);

// The mnemonic's name ("cvtsd2ss"), for messages and the debugger.
const char* mnemonic_name(u16 mnemonic);

}  // namespace vtlab

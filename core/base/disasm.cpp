#include "core/base/disasm.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstdio>

namespace vtlab {

std::string hex_bytes(std::span<const u8> bytes) {
  std::string s;
  for (u8 b : bytes) {
    char t[4];
    std::snprintf(t, sizeof t, "%02x", b);
    if (!s.empty()) s += ' ';
    s += t;
  }
  return s;
}

std::optional<std::string> disassemble(std::span<const u8> bytes, unsigned code_size, u64 address) {
  const cs_mode mode = code_size == 8 ? CS_MODE_64 : code_size == 4 ? CS_MODE_32 : CS_MODE_16;
  csh handle;
  if (bytes.empty() || cs_open(CS_ARCH_X86, mode, &handle) != CS_ERR_OK) return std::nullopt;
  std::optional<std::string> text;
  cs_insn* insn = nullptr;
  if (cs_disasm(handle, bytes.data(), bytes.size(), address, 1, &insn) == 1) {
    text = insn->mnemonic;
    if (insn->op_str[0]) *text += std::string(" ") + insn->op_str;
    *text += " (" + hex_bytes(bytes.first(insn->size)) + ")";
    cs_free(insn, 1);
  }
  cs_close(&handle);
  return text;
}

std::string describe_instruction(std::span<const u8> bytes, unsigned code_size, u64 address) {
  if (bytes.empty()) return "(instruction bytes not readable)";
  if (auto text = disassemble(bytes, code_size, address)) return *text;
  constexpr std::size_t kShown = 8;
  return "bytes " + hex_bytes(bytes.first(std::min(bytes.size(), kShown))) + (bytes.size() > kShown ? " ..." : "") +
         " (not a valid instruction)";
}

}  // namespace vtlab

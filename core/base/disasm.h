// Instructions named in messages (run summaries, the log) are shown the
// same way everywhere: Capstone's disassembly with the bytes it came from,
// e.g. "rdmsr (0f 32)" or "mov eax, dword ptr [0xc0000000] (a1 00 00 00 c0)".
// Capstone is a second, independent decoder: it also names instructions
// vtlab's own decoder accepts but does not implement.
#pragma once
#include <optional>
#include <span>
#include <string>

#include "core/base/types.h"

namespace vtlab {

// "0f 0b"
std::string hex_bytes(std::span<const u8> bytes);

// The first instruction in `bytes` for a code segment of `code_size` bytes
// (2, 4 or 8) at `address`, "ud2 (0f 0b)", or nothing if Capstone does not
// decode it.
std::optional<std::string> disassemble(std::span<const u8> bytes, unsigned code_size, u64 address);

// What messages print: disassemble(), or for bytes that do not decode
// "bytes 0f 04 00 00 00 00 00 00 ... (not a valid instruction)" (the first
// 8), or "(instruction bytes not readable)" when there are none.
std::string describe_instruction(std::span<const u8> bytes, unsigned code_size, u64 address);

}  // namespace vtlab

// The instruction tables (DESIGN: tables are the truth). Each handler group
// (cpu/handlers/*.cpp) contributes rows: mnemonic -> handlers by operand
// size + attributes. The decoder picks the handler from these rows; the
// debugger and tests read the same rows.
#pragma once
#include <cstddef>
#include <span>

#include "cpu/insn.h"

namespace vtlab {

// A handler wrapped for threaded dispatch (cpu/dispatch.h). Only
// VTLAB_H(fn) makes one: tables and selectors cannot hold a plain handler,
// which would break the chain (the block loop would run the next
// instruction twice).
struct ChainedHandler {
  constexpr ChainedHandler(std::nullptr_t = nullptr) {}
  constexpr explicit ChainedHandler(Handler f) : fn(f) {}
  Handler fn = nullptr;
};

// Handlers indexed by operand size: 1, 2, 4, 8 bytes.
struct HandlerSet {
  ChainedHandler by_size[4] = {};
};

enum class SizeFrom : u8 { Op0, Op1, OpSize };

struct InsnRow {
  u16 mnemonic;         // ZydisMnemonic
  HandlerSet handlers;
  u8 attrs = 0;         // attr::*
  SizeFrom size_from = SizeFrom::Op0;
  // For forms the size alone cannot pick (e.g. MOV to a control register).
  ChainedHandler (*select)(const Insn&) = nullptr;
};

// Handlers in rows are wrapped for threaded dispatch (cpu/dispatch.h);
// selectors return VTLAB_H(fn) likewise.
#define VTLAB_SIZED(fn) ::vtlab::HandlerSet{{VTLAB_H(fn<1>), VTLAB_H(fn<2>), VTLAB_H(fn<4>), VTLAB_H(fn<8>)}}
#define VTLAB_SIZED_WDQ(fn) ::vtlab::HandlerSet{{nullptr, VTLAB_H(fn<2>), VTLAB_H(fn<4>), VTLAB_H(fn<8>)}}
#define VTLAB_ONE(fn) ::vtlab::HandlerSet{{VTLAB_H(fn), VTLAB_H(fn), VTLAB_H(fn), VTLAB_H(fn)}}

// One function per handler group; insn_table.cpp lists them all.
std::span<const InsnRow> move_rows();
std::span<const InsnRow> alu_rows();
std::span<const InsnRow> muldiv_rows();
std::span<const InsnRow> shift_rows();
std::span<const InsnRow> bit_rows();
std::span<const InsnRow> string_rows();
std::span<const InsnRow> control_rows();
std::span<const InsnRow> flagops_rows();
std::span<const InsnRow> bcd_rows();
std::span<const InsnRow> system_rows();
std::span<const InsnRow> sse_rows();
std::span<const InsnRow> sse3_rows();
std::span<const InsnRow> ssse3_rows();
std::span<const InsnRow> sse41_rows();
std::span<const InsnRow> sse42_rows();
std::span<const InsnRow> aes_clmul_rows();
std::span<const InsnRow> xsave_rows();
std::span<const InsnRow> paging_rows();
std::span<const InsnRow> segment_rows();
std::span<const InsnRow> x87_rows();
std::span<const InsnRow> vmx_rows();  // cpu/vmx/instructions.cpp
// Instruction forms with an MMX register operand, kept apart from the
// rows of the same mnemonic's XMM forms (PADDB mm vs PADDB xmm).
std::span<const InsnRow> mmx_rows();
std::span<const InsnRow> ssse3_mmx_rows();  // part of mmx_rows()

// Row for a mnemonic, or nullptr if the CPU does not implement it.
const InsnRow* find_insn_row(u16 mnemonic);
// Row for a form of the mnemonic with an MMX register operand.
const InsnRow* find_mmx_row(u16 mnemonic);

}  // namespace vtlab

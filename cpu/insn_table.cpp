#include "cpu/insn_table.h"

#include <Zydis/Zydis.h>

#include <array>

namespace vtlab {
namespace {

struct Table {
  std::array<const InsnRow*, ZYDIS_MNEMONIC_MAX_VALUE + 1> rows{};
  Table() {
    for (auto group : {move_rows(), alu_rows(), muldiv_rows(), shift_rows(), bit_rows(), string_rows(),
                       control_rows(), flagops_rows(), bcd_rows(), system_rows(), sse_rows(),
                       sse3_rows(), ssse3_rows(), sse41_rows(), sse42_rows(), aes_clmul_rows(), xsave_rows(),
                       paging_rows(), segment_rows(), x87_rows(), vmx_rows()})
      for (const InsnRow& r : group) rows[r.mnemonic] = &r;
    // MMX-only mnemonics (EMMS, CVTPI2PS xmm, m64, ...) are found here too
    // when a form has no MMX register operand.
    for (const InsnRow& r : mmx_rows())
      if (!rows[r.mnemonic]) rows[r.mnemonic] = &r;
  }
};

struct MmxTable {
  std::array<const InsnRow*, ZYDIS_MNEMONIC_MAX_VALUE + 1> rows{};
  MmxTable() {
    for (const InsnRow& r : mmx_rows()) rows[r.mnemonic] = &r;
  }
};

}  // namespace

const InsnRow* find_insn_row(u16 mnemonic) {
  static const Table table;
  return mnemonic <= ZYDIS_MNEMONIC_MAX_VALUE ? table.rows[mnemonic] : nullptr;
}

const InsnRow* find_mmx_row(u16 mnemonic) {
  static const MmxTable table;
  return mnemonic <= ZYDIS_MNEMONIC_MAX_VALUE ? table.rows[mnemonic] : nullptr;
}

}  // namespace vtlab

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
                       paging_rows(), segment_rows()})
      for (const InsnRow& r : group) rows[r.mnemonic] = &r;
  }
};

}  // namespace

const InsnRow* find_insn_row(u16 mnemonic) {
  static const Table table;
  return mnemonic <= ZYDIS_MNEMONIC_MAX_VALUE ? table.rows[mnemonic] : nullptr;
}

}  // namespace vtlab

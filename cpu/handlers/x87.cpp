// The x87 instruction rows: the groups in cpu/handlers/x87_*.cpp joined.
#include <vector>

#include "cpu/handlers/common.h"

namespace vtlab {
namespace x87 {
std::span<const InsnRow> arith_rows();
std::span<const InsnRow> load_store_rows();
std::span<const InsnRow> compare_rows();
std::span<const InsnRow> transcendental_rows();
std::span<const InsnRow> control_rows();
}  // namespace x87

std::span<const InsnRow> x87_rows() {
  static const std::vector<InsnRow> rows = [] {
    std::vector<InsnRow> v;
    for (auto group : {x87::arith_rows(), x87::load_store_rows(), x87::compare_rows(), x87::transcendental_rows(),
                       x87::control_rows()})
      v.insert(v.end(), group.begin(), group.end());
    return v;
  }();
  return rows;
}

}  // namespace vtlab

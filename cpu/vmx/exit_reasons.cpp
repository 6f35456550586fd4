#include "cpu/vmx/exit_reasons.h"

namespace vtlab::vmx {
namespace {

using namespace exit_flag;
constexpr bool Yes = true, No = false;

constexpr ExitReasonInfo kReasons[] = {
#define EXIT_REASON(num, NAME, text, flags, vtlab) {num, #NAME, text, flags, vtlab},
#include "cpu/vmx/exit_reasons.def"
#undef EXIT_REASON
};

}  // namespace

std::span<const ExitReasonInfo> exit_reasons() { return kReasons; }

const ExitReasonInfo* find_exit_reason(u16 number) {
  for (const ExitReasonInfo& r : kReasons)
    if (r.number == number) return &r;
  return nullptr;
}

const char* exit_reason_text(u16 number) {
  const ExitReasonInfo* r = find_exit_reason(number);
  return r ? r->text : "unknown exit reason";
}

}  // namespace vtlab::vmx

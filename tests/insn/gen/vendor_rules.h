// Where Intel and AMD hardware give different outcomes for a generated case
// (spec key `vendor`). A rule knows both vendors' values from the case's
// inputs, so insn-gen records `out` = Intel's outcome and the AMD one as
// native-amd lines on either host, and checks that the rule describes the
// host's own CPU. The list with reasons: docs/vendor-differences.md.
#pragma once

#include "tests/insn/gen/instantiate.h"
#include "tests/insn/gen/spec.h"

namespace insn::gen {

// `recorded` with the parts where the vendors differ replaced by what a CPU
// of vendor `v` produces. Throws std::runtime_error for an unknown rule.
Outcome outcome_for_vendor(const VendorRule& rule, const PendingCase& pc, const Outcome& recorded, Vendor v);

// The VendorOutcome (gprs and bytes of `other` that differ from `base`); empty
// gprs and mem when the two outcomes agree.
VendorOutcome vendor_difference(const Case& c, const Outcome& base, const Outcome& other, Vendor v);

}  // namespace insn::gen

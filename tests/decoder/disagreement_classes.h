// Known, explained classes of disagreement between Zydis 4 and Capstone
// 4.0.2 on instruction length / validity. Each class is a named predicate
// with the reason; anything that matches none of them fails the test.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "tests/decoder/decoders.h"

namespace decoder_check {

struct Observation {
    Mode mode;
    const Window& bytes;
    const ZydisResult& zydis;
    std::optional<int> capstone;
};

struct DisagreementClass {
    std::string_view name;
    std::string_view why;
    bool (*matches)(const Observation&);
};

const std::vector<DisagreementClass>& disagreement_classes();

}  // namespace decoder_check

// rflags bits by name ("cf,of") for the case format's undef lists.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "tests/insn/case.h"

namespace insn {

struct FlagName {
    u64 bit;
    const char* name;
};
inline constexpr FlagName kFlagNames[] = {{CF, "cf"}, {PF, "pf"}, {AF, "af"}, {ZF, "zf"},
                                          {SF, "sf"}, {DF, "df"}, {OF, "of"}};

// "cf,pf" for CF|PF; bits without a name are written as one hex number.
inline std::string flags_to_names(u64 mask) {
    std::string s;
    for (const auto& f : kFlagNames)
        if (mask & f.bit) {
            s += (s.empty() ? "" : ",") + std::string(f.name);
            mask &= ~f.bit;
        }
    if (mask) {
        char buf[24];
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(mask));
        s += (s.empty() ? "" : ",") + std::string(buf);
    }
    return s;
}

// Inverse of flags_to_names; nullopt on an unknown name.
inline std::optional<u64> flags_from_names(std::string_view text) {
    u64 mask = 0;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        bool found = false;
        for (const auto& f : kFlagNames)
            if (item == f.name) {
                mask |= f.bit;
                found = true;
            }
        if (!found) {
            if (item.size() > 2 && item.substr(0, 2) == "0x") {
                char* end = nullptr;
                std::string tmp(item);
                mask |= std::strtoull(tmp.c_str(), &end, 16);
                if (*end) return std::nullopt;
            } else {
                return std::nullopt;
            }
        }
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    }
    return mask;
}

}  // namespace insn

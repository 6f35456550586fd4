// Seeded byte windows for decoder cross-checks: random bytes, biased toward
// prefixes and escape bytes so that multi-byte opcode maps get exercised.
#pragma once

#include <array>
#include <cstdint>

namespace decoder_check {

constexpr int kWindow = 15;  // longest x86 instruction
using Window = std::array<std::uint8_t, kWindow>;

class Corpus {
public:
    explicit Corpus(std::uint64_t seed) : s_(seed) {}

    Window next() {
        Window w;
        for (auto& b : w) b = static_cast<std::uint8_t>(rand());
        // Bias the start: prefixes, REX, 0F escapes, VEX/EVEX/XOP leaders.
        static constexpr std::uint8_t kLeaders[] = {0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x3e, 0x26, 0x64, 0x65, 0x36,
                                                    0x40, 0x48, 0x41, 0x4c, 0x0f, 0x0f, 0x0f, 0xc4, 0xc5, 0x62, 0x8f};
        int lead = static_cast<int>(rand() % 4);
        for (int i = 0; i < lead; ++i) w[static_cast<size_t>(i)] = kLeaders[rand() % sizeof kLeaders];
        if (rand() % 3 == 0) {  // a 0F / 0F38 / 0F3A map opcode right after the prefixes
            w[static_cast<size_t>(lead)] = 0x0f;
            if (rand() % 3 == 0) w[static_cast<size_t>(lead + 1)] = rand() % 2 ? 0x38 : 0x3a;
        }
        return w;
    }

private:
    std::uint64_t rand() {  // splitmix64
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    std::uint64_t s_;
};

}  // namespace decoder_check

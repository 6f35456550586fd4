// Zydis and Capstone behind one small interface: "how long is the
// instruction at the start of this window, if it decodes at all".
#pragma once

#include <capstone/capstone.h>
#include <Zydis/Zydis.h>

#include <cstdint>
#include <optional>
#include <string>

#include "tests/decoder/corpus.h"

namespace decoder_check {

enum class Mode { M64, M32, M16 };
inline const char* mode_name(Mode m) { return m == Mode::M64 ? "64-bit" : m == Mode::M32 ? "32-bit" : "16-bit"; }

struct ZydisResult {
    std::optional<int> length;
    ZydisDecodedInstruction insn{};
};

class ZydisLength {
public:
    explicit ZydisLength(Mode m) {
        const auto mm = m == Mode::M64 ? ZYDIS_MACHINE_MODE_LONG_64 : m == Mode::M32 ? ZYDIS_MACHINE_MODE_LEGACY_32 : ZYDIS_MACHINE_MODE_LEGACY_16;
        const auto sw = m == Mode::M64 ? ZYDIS_STACK_WIDTH_64 : m == Mode::M32 ? ZYDIS_STACK_WIDTH_32 : ZYDIS_STACK_WIDTH_16;
        ZydisDecoderInit(&d_, mm, sw);
    }
    ZydisResult decode(const Window& w) const {
        ZydisResult r;
        if (ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&d_, nullptr, w.data(), w.size(), &r.insn))) r.length = r.insn.length;
        return r;
    }

private:
    ZydisDecoder d_;
};

class CapstoneLength {
public:
    explicit CapstoneLength(Mode m) {
        cs_open(CS_ARCH_X86, m == Mode::M64 ? CS_MODE_64 : m == Mode::M32 ? CS_MODE_32 : CS_MODE_16, &h_);
        insn_ = cs_malloc(h_);
    }
    ~CapstoneLength() {
        cs_free(insn_, 1);
        cs_close(&h_);
    }
    CapstoneLength(const CapstoneLength&) = delete;
    CapstoneLength& operator=(const CapstoneLength&) = delete;

    std::optional<int> decode(const Window& w, std::string* text = nullptr) const {
        const uint8_t* code = w.data();
        size_t size = w.size();
        uint64_t addr = 0x1000;
        if (!cs_disasm_iter(h_, &code, &size, &addr, insn_)) return std::nullopt;
        if (text) *text = std::string(insn_->mnemonic) + " " + insn_->op_str;
        return static_cast<int>(insn_->size);
    }

private:
    csh h_ = 0;
    cs_insn* insn_ = nullptr;
};

}  // namespace decoder_check

// Batch assembly: each line gets a label; `nm` gives the label offsets and
// `objcopy` the raw .text bytes, so lines are cut apart exactly.
#include "tests/insn/gen/assembler.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace insn::gen {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

std::vector<std::vector<u8>> assemble(const std::vector<std::string>& lines) {
    char dir_template[] = "/tmp/insn-gen-XXXXXX";
    const char* dir = mkdtemp(dir_template);
    if (!dir) throw std::runtime_error("assemble: mkdtemp failed");
    const std::string d = dir, src = d + "/t.s", obj = d + "/t.o", bin = d + "/t.bin", syms = d + "/t.nm",
                      err = d + "/err";
    constexpr int kHeaderLines = 2;
    {
        std::ofstream out(src);
        out << ".intel_syntax noprefix\n.text\n";
        for (size_t i = 0; i < lines.size(); ++i) out << "L" << i << ": " << lines[i] << "\n";
        out << "L" << lines.size() << ":\n";
    }
    const std::string cmd = "as --64 -o " + obj + " " + src + " 2>" + err + " && objcopy -O binary -j .text " + obj +
                            " " + bin + " && nm " + obj + " > " + syms;
    if (std::system(cmd.c_str()) != 0) {
        std::string e = slurp(err);
        // "t.s:LINE: Error: ..." -> name the template line.
        size_t at = e.find("Error:");
        size_t line_start = at == std::string::npos ? 0 : e.rfind('\n', at) + 1;
        std::string msg = e.substr(line_start, e.find('\n', line_start) - line_start);
        size_t c1 = msg.find(':'), c2 = msg.find(':', c1 + 1);
        if (c1 != std::string::npos && c2 != std::string::npos) {
            const long ln = std::strtol(msg.c_str() + c1 + 1, nullptr, 10) - kHeaderLines - 1;
            if (ln >= 0 && static_cast<size_t>(ln) < lines.size())
                msg = "'" + lines[static_cast<size_t>(ln)] + "': " + msg.substr(c2 + 1);
        }
        std::system(("rm -rf " + d).c_str());
        throw std::runtime_error("as rejected " + msg);
    }
    const std::string text = slurp(bin);
    std::map<size_t, u64> offset;  // label index -> offset
    std::istringstream nm(slurp(syms));
    for (std::string addr, type, name; nm >> addr >> type >> name;)
        if (name.size() > 1 && name[0] == 'L') offset[std::stoul(name.substr(1))] = std::stoull(addr, nullptr, 16);
    std::system(("rm -rf " + d).c_str());
    std::vector<std::vector<u8>> out;
    for (size_t i = 0; i < lines.size(); ++i) {
        const u64 b = offset.at(i), e = offset.at(i + 1);
        out.emplace_back(text.begin() + static_cast<long>(b), text.begin() + static_cast<long>(e));
    }
    return out;
}

}  // namespace insn::gen

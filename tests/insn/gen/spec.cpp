// Parser of the spec files read by insn-gen.
#include "tests/insn/gen/spec.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace insn::gen {

namespace {

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> w;
    for (std::string x; in >> x;) w.push_back(x);
    return w;
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<Placeholder> placeholders(const std::string& tmpl, const std::string& where) {
    std::vector<Placeholder> ops;
    for (size_t p = tmpl.find('{'); p != std::string::npos; p = tmpl.find('{', p + 1)) {
        size_t e = tmpl.find('}', p);
        if (e == std::string::npos) throw std::runtime_error(where + ": unclosed '{'");
        std::string body = tmpl.substr(p + 1, e - p - 1);
        Placeholder ph;
        if (!body.empty() && body[0] == '-') ph.silent = true, body.erase(0, 1);
        size_t colon = body.find(':');
        ph.type = body.substr(0, colon);
        if (colon != std::string::npos) ph.kind = body.substr(colon + 1);
        ops.push_back(ph);
    }
    return ops;
}

}  // namespace

Spec parse_spec(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open");
    Spec spec;
    Form* cur = nullptr;
    int ln = 0;
    for (std::string raw; std::getline(in, raw);) {
        ++ln;
        const std::string where = path + ":" + std::to_string(ln);
        std::string line = raw;
        if (line.rfind("##", 0) == 0) {  // "## text": copied into the output file's header
            spec.comment += (spec.comment.empty() ? "" : "\n") + trim(line.substr(2));
            continue;
        }
        if (size_t h = line.find('#'); h != std::string::npos) line.resize(h);
        line = trim(line);
        if (line.empty()) continue;
        auto w = words(line);
        const std::string key = w[0];
        const std::string rest = trim(line.substr(key.size()));
        auto need = [&](bool ok, const char* msg) {
            if (!ok) throw std::runtime_error(where + ": " + msg);
        };
        if (key == "output") {
            need(w.size() == 2, "expected 'output NAME'");
            spec.output = w[1];
        } else if (key == "seed") {
            need(w.size() == 2, "expected 'seed N'");
            spec.seed = std::stoull(w[1], nullptr, 0);
        } else if (key == "form") {
            need(w.size() >= 3, "expected 'form NAME TEMPLATE' or 'form NAME bytes HEX...'");
            spec.forms.push_back(Form{});
            cur = &spec.forms.back();
            cur->name = w[1];
            cur->file = path;
            cur->line = ln;
            const std::string t = trim(rest.substr(w[1].size()));
            if (w[2] == "bytes") {
                for (size_t i = 3; i < w.size(); ++i) cur->bytes.push_back(static_cast<u8>(std::stoul(w[i], nullptr, 16)));
                need(!cur->bytes.empty(), "no bytes");
            } else {
                cur->tmpl = t;
                cur->ops = placeholders(t, where);
            }
        } else {
            need(cur != nullptr, "form attribute before the first 'form'");
            if (key == "asm") {  // text for a bytes form; its {-...} placeholders bind values
                cur->tmpl = rest;
                cur->ops = placeholders(rest, where);
            } else if (key == "w") {
                cur->widths.clear();
                for (size_t i = 1; i < w.size(); ++i) cur->widths.push_back(std::stoi(w[i]));
            } else if (key == "n") {
                need(w.size() == 2, "expected 'n COUNT|max|max+K'");
                cur->n = w[1];
            } else if (key == "flags") {
                need(w.size() == 2, "expected 'flags rand|cf|df|zero'");
                cur->flags = w[1];
            } else if (key == "undef") {
                cur->undef = rest;
            } else if (key == "mxcsr") {
                for (size_t i = 1; i < w.size(); ++i) cur->mxcsr.push_back(static_cast<u32>(std::stoul(w[i], nullptr, 0)));
            } else if (key == "init") {
                for (size_t i = 1; i < w.size(); ++i) cur->inits.push_back(w[i]);
            } else if (key == "undef-mem") {
                for (size_t i = 1; i < w.size(); ++i) {
                    size_t plus = w[i].find('+');
                    need(plus != std::string::npos, "expected OFFSET+LEN");
                    cur->undef_mem.push_back({static_cast<u32>(std::stoul(w[i].substr(0, plus), nullptr, 0)),
                                              static_cast<u32>(std::stoul(w[i].substr(plus + 1), nullptr, 0))});
                }
            } else if (key == "vendor") {
                const size_t dash = rest.find("--");
                need(dash != std::string::npos && w.size() >= 3,
                     "expected 'vendor mem OFFSET intel BYTES... amd BYTES... -- note' or 'vendor @RULE [ARGS] -- note'");
                VendorRule vr;
                auto ww = words(rest.substr(0, dash));
                vr.rule = ww[0];
                vr.note = trim(rest.substr(dash + 2));
                need(!vr.note.empty(), "a vendor line needs a note after '--' (why, and where each value comes from)");
                if (vr.rule == "mem") {
                    need(ww.size() >= 2, "expected 'vendor mem OFFSET intel BYTES... amd BYTES...'");
                    vr.offset = static_cast<u32>(std::stoul(ww[1], nullptr, 0));
                    std::vector<u8>* dst = nullptr;
                    for (size_t i = 2; i < ww.size(); ++i) {
                        if (ww[i] == "intel") dst = &vr.intel;
                        else if (ww[i] == "amd") dst = &vr.amd;
                        else {
                            need(dst != nullptr, "expected 'intel' or 'amd' before the bytes");
                            dst->push_back(static_cast<u8>(std::stoul(ww[i], nullptr, 16)));
                        }
                    }
                    need(!vr.intel.empty() && vr.intel.size() == vr.amd.size(),
                         "vendor mem needs as many intel bytes as amd bytes");
                } else {
                    need(vr.rule[0] == '@', "expected 'mem' or '@RULE' after 'vendor'");
                    vr.args.assign(ww.begin() + 1, ww.end());
                }
                cur->vendor_rules.push_back(vr);
            } else if (key == "each") {
                cur->each.assign(w.begin() + 1, w.end());
            } else if (key == "x87") {
                need(w.size() == 2 || w.size() == 3, "expected 'x87 DEPTH [KIND]'");
                cur->x87_depth = std::stoi(w[1]);
                need(cur->x87_depth >= 0 && cur->x87_depth <= 8, "x87 depth is 0..8");
                if (w.size() == 3) cur->x87_kind = w[2];
            } else if (key == "fcw" || key == "fsw") {
                for (size_t i = 1; i < w.size(); ++i)
                    (key == "fcw" ? cur->fcw : cur->fsw).push_back(static_cast<u16>(std::stoul(w[i], nullptr, 0)));
            } else if (key == "undef-fsw") {
                need(w.size() == 2, "expected 'undef-fsw MASK'");
                cur->fsw_undef = static_cast<u16>(std::stoul(w[1], nullptr, 0));
            } else if (key == "approx") {
                cur->approx = true;
            } else if (key == "misalign") {
                cur->misalign = true;
            } else {
                throw std::runtime_error(where + ": unknown key '" + key + "'");
            }
        }
    }
    if (spec.output.empty()) throw std::runtime_error(path + ": missing 'output NAME'");
    // "each add sub ...": one form per word, '$' replaced by the word.
    std::vector<Form> expanded;
    for (const auto& f : spec.forms) {
        if (f.each.empty()) {
            expanded.push_back(f);
            continue;
        }
        for (const auto& word : f.each) {
            Form g = f;
            g.each.clear();
            for (std::string* s : {&g.name, &g.tmpl})
                for (size_t p = s->find('$'); p != std::string::npos; p = s->find('$', p + word.size()))
                    s->replace(p, 1, word);
            expanded.push_back(g);
        }
    }
    spec.forms = std::move(expanded);
    return spec;
}

}  // namespace insn::gen

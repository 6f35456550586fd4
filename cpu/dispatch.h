// Threaded dispatch (DESIGN: handler dispatch without per-instruction
// decoding). The tables store `chained<H>` instead of H: it runs H, retires
// the instruction, and jumps straight to the next record's handler. Every
// handler thus has its own indirect jump, which the host's branch predictor
// learns per handler — the "handler chaining" of fast interpreters. A plain
// (unwrapped) handler still works: Cpu::execute_block then advances itself.
#pragma once
#include "cpu/cpu.h"
#include "cpu/insn_table.h"

namespace vtlab {

// Runs H and retires its instruction; returns the next record to run, or
// nullptr when the block (or the run) must stop here.
template <Handler H>
[[gnu::always_inline]] inline const Insn* run_and_retire(Cpu& c, const Insn& i) {
  H(c, i);
  c.rip = c.next_rip;
  const Insn* n = &i + 1;
  c.exec.cur = n;
  return n == c.exec.end || c.block_must_end() ? nullptr : n;
}

template <Handler H>
void chained(Cpu& c, const Insn& i) {
  const Insn* n = run_and_retire<H>(c, i);
  if (!n) return;
  c.next_rip = c.rip + n->len;
  return n->fn(c, *n);  // a sibling call: no stack growth at -O2
}

// For branches: a block that ends by jumping to its own start (a tight loop)
// runs again from here, through this handler's own indirect jump, instead
// of going through the shared block-transition code.
template <Handler H>
void chained_branch(Cpu& c, const Insn& i) {
  const Insn* n = run_and_retire<H>(c, i);
  if (!n) return;
  if (c.rip == c.exec.start_rip && n->fn == &Cpu::block_end) {
    n = c.restart_self_loop(n);
    if (!n) return;
  }
  c.next_rip = c.rip + n->len;
  return n->fn(c, *n);
}

}  // namespace vtlab

#define VTLAB_BRANCH(...) (::vtlab::ChainedHandler{&::vtlab::chained_branch<&__VA_ARGS__>})
#define VTLAB_H(...) (::vtlab::ChainedHandler{&::vtlab::chained<&__VA_ARGS__>})

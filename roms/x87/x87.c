/* x87: the FPU as software uses it, checked in a guest (roms/README.md).
 * - arithmetic: FSQRT, FDIV under each precision and rounding control,
 *   FRNDINT, the masked responses to #Z and #I (bit patterns compared);
 * - transcendentals: FSIN FCOS FSINCOS FPTAN F2XM1 FYL2X FPATAN, FSIN out
 *   of range (C2), against their correctly rounded values (docs/x87.md);
 * - two tasks sharing the FPU through CR0.TS: the #NM handler saves the
 *   owner's state with FNSAVE and loads the next one's with FRSTOR;
 * - an unmasked #Z reported as #MF (CR0.NE = 1) at the next waiting
 *   instruction, with the failing instruction's pointer in FSTENV's image;
 * - the same with CR0.NE = 0: FERR# through the chipset to IRQ 13, the
 *   handler clearing the latch at port 0xf0, with and without FNCLEX
 *   (IGNNE# then lets the waiting instruction through);
 * - MMX: PADDUSB, the tag word after it and after EMMS.
 * The x87 code is in x87_ops.S. Prints a line per check, exits 0 if all
 * passed. */
#include <stdbool.h>
#include <stdint.h>

#include "runtime/exit.h"
#include "runtime/idt64.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"

enum { PIC1 = 0x20, PIC2 = 0xa0, FPU_ERROR_PORT = 0xf0 };
enum { VECTOR_BASE = 0x20, NUM_VECTORS = 48, KERNEL_CODE64 = 0x08, GATE_INTERRUPT = 0x8e, IRQ_FPU = 13 };
enum { VEC_NM = 7, VEC_MF = 16, EXIT_UNEXPECTED_TRAP = 0x7e };
enum { CR0_MP = 1 << 1, CR0_TS = 1 << 3, CR0_NE = 1 << 5 };
enum { FSW_IE = 0x01, FSW_ZE = 0x04, FSW_PE = 0x20, FSW_ES = 0x80, FSW_C2 = 0x400 };

/* An 80-bit register image. */
struct f80 {
  uint64_t sig;
  uint16_t se;
} __attribute__((packed));

typedef uint16_t x87_op(const struct f80 *st0, const struct f80 *st1, struct f80 out[2], unsigned fcw);
extern x87_op x87_fadd, x87_fdiv, x87_fsqrt, x87_frndint, x87_fsin, x87_fcos, x87_fsincos, x87_fptan, x87_f2xm1,
    x87_fyl2x, x87_fpatan;
void task_a_begin(void), task_b_begin(void), task_a_end(struct f80 *out), task_b_end(struct f80 *out);
void fpu_init(void), nm_entry(void);
uint16_t x87_pending_zero_divide(const uint16_t *fcw);
extern const uint8_t x87_fdiv_site[], x87_wait_site[];
void x87_fnstenv(void *env), x87_fnclex(void);
uint16_t x87_fnstsw(void);
void mmx_paddusb(const uint64_t *a, const uint64_t *b, uint64_t *out, void *fx);

/* ---- checks ---- */

static int checks, passed;

/* Ends a check's line. */
static void check(bool ok) {
  checks++;
  if (ok) passed++;
  kprintf("%s\n", ok ? "ok" : "FAILED");
}

static bool same(const struct f80 *a, const struct f80 *b) { return a->sig == b->sig && a->se == b->se; }

static void print_f80(const struct f80 *v) { kprintf("%04x_%016llx", v->se, (unsigned long long)v->sig); }

/* The exception flags, as names. */
static void print_flags(uint16_t fsw) {
  static const char *const names[6] = {"IE", "DE", "ZE", "OE", "UE", "PE"};
  for (int k = 0; k < 6; k++)
    if (fsw & (1 << k)) kprintf(" %s", names[k]);
}

/* Runs `op` and compares ST(0) (or ST(1) with `second`) and the exception
 * flags with what they must be. */
static void op_check(const char *name, x87_op *op, struct f80 a, struct f80 b, unsigned fcw, struct f80 want,
                     uint16_t want_flags, bool second) {
  struct f80 out[2];
  const uint16_t fsw = op(&a, &b, out, fcw);
  const struct f80 *got = &out[second ? 1 : 0];
  kprintf("%-22s = ", name);
  print_f80(got);
  print_flags(fsw);
  kprintf("  ");
  check(same(got, &want) && (fsw & 0x3f) == want_flags);
}

#define F80(se_, sig_) ((struct f80){.sig = (sig_), .se = (se_)})
static const struct f80 ONE = F80(0x3fff, 0x8000000000000000ull), TWO = F80(0x4000, 0x8000000000000000ull);
static const struct f80 THREE = F80(0x4000, 0xc000000000000000ull), SEVEN = F80(0x4001, 0xe000000000000000ull);
static const struct f80 TEN = F80(0x4002, 0xa000000000000000ull), HALF = F80(0x3ffe, 0x8000000000000000ull);
static const struct f80 ZERO = F80(0, 0), MINUS_ONE = F80(0xbfff, 0x8000000000000000ull);
static const struct f80 PI = F80(0x4000, 0xc90fdaa22168c235ull);
static const struct f80 TWO_POINT_FIVE = F80(0x4000, 0xa000000000000000ull);
static const struct f80 MINUS_TWO_POINT_FIVE = F80(0xc000, 0xa000000000000000ull);
static const struct f80 TWO_TO_63 = F80(0x403e, 0x8000000000000000ull);

/* Precision control (bits 9:8) and rounding control (bits 11:10), every
 * exception masked. */
enum { PC24 = 0x007f, PC53 = 0x027f, PC64 = 0x037f, RD = 0x077f, RU = 0x0b7f, RZ = 0x0f7f };

static void arithmetic(void) {
  kprintf("-- arithmetic\n");
  op_check("fsqrt(2)", x87_fsqrt, TWO, ZERO, PC64, F80(0x3fff, 0xb504f333f9de6484ull), FSW_PE, false);
  op_check("1/3 pc=64", x87_fdiv, ONE, THREE, PC64, F80(0x3ffd, 0xaaaaaaaaaaaaaaabull), FSW_PE, false);
  op_check("1/3 pc=53", x87_fdiv, ONE, THREE, PC53, F80(0x3ffd, 0xaaaaaaaaaaaaa800ull), FSW_PE, false);
  op_check("1/3 pc=24", x87_fdiv, ONE, THREE, PC24, F80(0x3ffd, 0xaaaaab0000000000ull), FSW_PE, false);
  op_check("1/7 rc=down", x87_fdiv, ONE, SEVEN, RD, F80(0x3ffc, 0x9249249249249249ull), FSW_PE, false);
  op_check("1/7 rc=up", x87_fdiv, ONE, SEVEN, RU, F80(0x3ffc, 0x924924924924924aull), FSW_PE, false);
  op_check("frndint(2.5) rc=near", x87_frndint, TWO_POINT_FIVE, ZERO, PC64, TWO, FSW_PE, false);
  op_check("frndint(2.5) rc=up", x87_frndint, TWO_POINT_FIVE, ZERO, RU, THREE, FSW_PE, false);
  op_check("frndint(2.5) rc=zero", x87_frndint, TWO_POINT_FIVE, ZERO, RZ, TWO, FSW_PE, false);
  op_check("frndint(-2.5) rc=down", x87_frndint, MINUS_TWO_POINT_FIVE, ZERO, RD, F80(0xc000, 0xc000000000000000ull),
           FSW_PE, false);
  op_check("pi+1", x87_fadd, PI, ONE, PC64, F80(0x4001, 0x8487ed5110b4611aull), FSW_PE, false);
  op_check("1/0 (masked #Z)", x87_fdiv, ONE, ZERO, PC64, F80(0x7fff, 0x8000000000000000ull), FSW_ZE, false);
  op_check("fsqrt(-1) (masked #I)", x87_fsqrt, MINUS_ONE, ZERO, PC64, F80(0xffff, 0xc000000000000000ull), FSW_IE,
           false);
}

/* Correctly rounded (round to nearest) values; FSIN(pi) is exact for the
 * x87's 66-bit pi, as hardware computes it (docs/x87.md). */
static void transcendental(void) {
  kprintf("-- transcendental\n");
  op_check("fsin(1)", x87_fsin, ONE, ZERO, PC64, F80(0x3ffe, 0xd76aa47848677021ull), FSW_PE, false);
  op_check("fcos(1)", x87_fcos, ONE, ZERO, PC64, F80(0x3ffe, 0x8a51407da8345c92ull), FSW_PE, false);
  op_check("fsincos(1): cos", x87_fsincos, ONE, ZERO, PC64, F80(0x3ffe, 0x8a51407da8345c92ull), FSW_PE, false);
  op_check("fsincos(1): sin", x87_fsincos, ONE, ZERO, PC64, F80(0x3ffe, 0xd76aa47848677021ull), FSW_PE, true);
  op_check("fptan(0.5)", x87_fptan, HALF, ZERO, PC64, F80(0x3ffe, 0x8bda7adf9a3a5219ull), FSW_PE, true);
  op_check("fptan(0.5): pushes 1", x87_fptan, HALF, ZERO, PC64, ONE, FSW_PE, false);
  op_check("f2xm1(0.5)", x87_f2xm1, HALF, ZERO, PC64, F80(0x3ffd, 0xd413cccfe7799211ull), FSW_PE, false);
  op_check("fyl2x(10, 1)", x87_fyl2x, TEN, ONE, PC64, F80(0x4000, 0xd49a784bcd1b8afeull), FSW_PE, false);
  op_check("fyl2x(3, 2)", x87_fyl2x, THREE, TWO, PC64, F80(0x4000, 0xcae00d1cfdeb43d0ull), FSW_PE, false);
  op_check("fpatan(1, 1)", x87_fpatan, ONE, ONE, PC64, F80(0x3ffe, 0xc90fdaa22168c235ull), FSW_PE, false);
  op_check("fsin(pi)", x87_fsin, PI, ZERO, PC64, F80(0xbfbf, 0x8000000000000000ull), FSW_PE, false);
  /* Out of range (|x| >= 2^63): C2 = 1, the operand stays. */
  struct f80 out[2];
  const uint16_t fsw = x87_fsin(&TWO_TO_63, &ZERO, out, PC64);
  kprintf("%-22s = ", "fsin(2^63)");
  print_f80(&out[0]);
  kprintf(" C2=%d  ", (fsw & FSW_C2) ? 1 : 0);
  check(same(&out[0], &TWO_TO_63) && (fsw & FSW_C2) && !(fsw & 0x3f));
}

/* ---- exceptions: #NM, #MF, and the IRQ 13 path ---- */

static uint64_t read_cr0(void) {
  uint64_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
static void write_cr0(uint64_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }

/* Lazy FPU switching: each task has an FSAVE area; CR0.TS is set at every
 * switch, and the first x87 instruction of a task that does not own the
 * FPU raises #NM, whose handler (nm_entry, x87_ops.S) switches the state. */
uint8_t fpu_area[2][108] __attribute__((aligned(16)));
volatile uint8_t fpu_area_valid[2];
volatile int fpu_owner, current_task;
volatile unsigned nm_count;

static void switch_to(int task) {
  current_task = task;
  write_cr0(read_cr0() | CR0_TS);
}

static void context_switch(void) {
  kprintf("-- two tasks, CR0.TS and #NM\n");
  fpu_init();
  fpu_owner = current_task = 0;
  task_a_begin(); /* A: pi, 1 */
  switch_to(1);
  task_b_begin(); /* #NM: A saved; B starts clean: 2 */
  switch_to(0);
  struct f80 a, b;
  task_a_end(&a); /* #NM: B saved, A restored: pi + 1 */
  switch_to(1);
  task_b_end(&b); /* #NM: A saved, B restored */
  kprintf("task A: pi+1 = ");
  print_f80(&a);
  kprintf(", task B: 2 = ");
  print_f80(&b);
  kprintf(", #NM %u times  ", nm_count);
  check(same(&a, &F80(0x4001, 0x8487ed5110b4611aull)) && same(&b, &TWO) && nm_count == 3);
  kprintf("CR0.TS clear after the handler's CLTS: %s\n", (read_cr0() & CR0_TS) ? "no" : "yes");
}

/* #MF: where it was raised and what FSTENV says about the failure. */
static unsigned mf_count;
static uint64_t mf_rip;
static uint32_t mf_fip;
static uint16_t mf_fop, mf_fsw;

static void on_mf(struct trap_frame *f) {
  uint32_t env[7];
  x87_fnstenv(env); /* masks every exception: the handler's own x87 code cannot fault */
  mf_count++;
  mf_rip = f->rip;
  mf_fsw = (uint16_t)env[1];
  mf_fip = env[3];
  mf_fop = (uint16_t)(env[4] >> 16);
  x87_fnclex();
}

static void trap(struct trap_frame *f) {
  if (f->vector == VEC_MF) return on_mf(f);
  kprintf("unexpected exception: ");
  trap_print(f);
  kprintf("\n");
  exit_qemu(EXIT_UNEXPECTED_TRAP);
}

static const uint16_t fcw_zm_clear = 0x037b; /* #Z unmasked */

static void machine_check_mf(void) {
  kprintf("-- #MF with CR0.NE=1\n");
  write_cr0(read_cr0() | CR0_NE);
  const uint16_t fsw = x87_pending_zero_divide(&fcw_zm_clear);
  kprintf("#MF at the FWAIT after the FDIV: %s\n", mf_rip == (uint64_t)(uintptr_t)x87_wait_site ? "yes" : "no");
  kprintf("FSTENV: FIP = the FDIV (%s), FOP %03x, FSW %04x; after FNCLEX FSW %04x  ",
          mf_fip == (uint32_t)(uintptr_t)x87_fdiv_site ? "yes" : "no", mf_fop, mf_fsw, fsw);
  check(mf_count == 1 && mf_rip == (uint64_t)(uintptr_t)x87_wait_site && mf_fip == (uint32_t)(uintptr_t)x87_fdiv_site &&
        mf_fop == 0x0f1 && (mf_fsw & (FSW_ES | FSW_ZE)) && !(fsw & FSW_ES));
}

/* ---- the IDT: exceptions through the runtime's stubs, the 8259's IRQs
 * through chipset/irq_stubs.S (irq_dispatch below) ---- */

struct idt_gate {
  uint16_t offset_low, selector;
  uint8_t ist, type_attr;
  uint16_t offset_mid;
  uint32_t offset_high, reserved;
};
extern const uint64_t isr64_stubs[32], irq_stubs[16];
static struct idt_gate idt[NUM_VECTORS] __attribute__((aligned(16)));

static void set_gate(int v, uint64_t a) {
  idt[v] =
      (struct idt_gate){(uint16_t)a, KERNEL_CODE64, 0, GATE_INTERRUPT, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0};
}

static void install_idt(void) {
  idt64_install(trap);
  for (int v = 0; v < 32; v++) set_gate(v, isr64_stubs[v]);
  for (int i = 0; i < 16; i++) set_gate(VECTOR_BASE + i, irq_stubs[i]);
  set_gate(VEC_NM, (uint64_t)(uintptr_t)nm_entry);
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } p = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* 8259 pair at 0x20-0x2f; only IRQ 2 (the cascade) and IRQ 13 unmasked. */
static void pic_init(void) {
  const uint8_t icw[2][4] = {{0x11, VECTOR_BASE, 0x04, 0x01}, {0x11, VECTOR_BASE + 8, 0x02, 0x01}};
  for (int p = 0; p < 2; p++) {
    const uint16_t port = p ? PIC2 : PIC1;
    outb(port, icw[p][0]);
    for (int k = 1; k < 4; k++) outb(port + 1, icw[p][k]);
  }
  outb(PIC1 + 1, (uint8_t) ~(1 << 2));
  outb(PIC2 + 1, (uint8_t) ~(1 << (IRQ_FPU - 8)));
}

static volatile unsigned irq13_count;
static volatile bool irq13_clears; /* the handler runs FNCLEX (else only IGNNE# lets the FWAIT go) */

void irq_dispatch(uint64_t irq) {
  if (irq == IRQ_FPU) {
    irq13_count++;
    outb(FPU_ERROR_PORT, 0); /* clear the latch; IGNNE# while FERR# stays */
    if (irq13_clears) x87_fnclex();
  }
  if (irq >= 8) outb(PIC2, 0x20);
  outb(PIC1, 0x20);
}

static void ferr_irq13(void) {
  kprintf("-- FERR# and IRQ 13 with CR0.NE=0\n");
  write_cr0(read_cr0() & ~(uint64_t)CR0_NE);
  pic_init();
  __asm__ volatile("sti");
  irq13_clears = true;
  uint16_t fsw = x87_pending_zero_divide(&fcw_zm_clear);
  kprintf("handler with FNCLEX: IRQ 13 %u time(s), FSW after the FWAIT %04x  ", irq13_count, fsw);
  check(irq13_count == 1 && !(fsw & FSW_ES) && mf_count == 1);
  irq13_clears = false;
  fsw = x87_pending_zero_divide(&fcw_zm_clear);
  kprintf("handler without FNCLEX (IGNNE#): IRQ 13 %u time(s), FSW after the FWAIT %04x  ", irq13_count, fsw);
  check(irq13_count == 2 && (fsw & (FSW_ES | FSW_ZE)) == (FSW_ES | FSW_ZE));
  irq13_clears = true;
  fsw = x87_pending_zero_divide(&fcw_zm_clear);
  kprintf("the latch fires again: IRQ 13 %u time(s)  ", irq13_count);
  check(irq13_count == 3 && !(fsw & FSW_ES));
  __asm__ volatile("cli");
}

static void mmx(void) {
  kprintf("-- MMX\n");
  static uint8_t fx[1024] __attribute__((aligned(16)));
  const uint64_t a = 0x80ff7f1002030405ull, b = 0x80018120fefdfcfbull;
  uint64_t r;
  mmx_paddusb(&a, &b, &r, fx);
  const uint16_t fsw_mmx = (uint16_t)(fx[2] | fx[3] << 8);
  kprintf("paddusb = %016llx, tags %02x TOP %d, after EMMS tags %02x  ", (unsigned long long)r, fx[4],
          (fsw_mmx >> 11) & 7, fx[512 + 4]);
  check(r == 0xffffff30ffffffffull && fx[4] == 0xff && ((fsw_mmx >> 11) & 7) == 0 && fx[512 + 4] == 0);
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  install_idt();
  write_cr0(read_cr0() | CR0_MP);
  fpu_init();
  arithmetic();
  transcendental();
  context_switch();
  machine_check_mf();
  ferr_irq13();
  mmx();
  kprintf("x87: %d of %d checks passed\n", passed, checks);
  return passed == checks ? 0 : 1;
}

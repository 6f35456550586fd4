/* chipset: the legacy PC chipset as an OS drives it, through the CPU's
 * interrupt path. Programs the 8259 pair (vectors 0x20-0x2f), then:
 * - the 8254 counter 0 in mode 2 on IRQ 0, timed against the ACPI PM timer
 *   (two clocks with known rates, so the check holds on any machine);
 * - the order in which four IRQs pending at once are delivered, with the
 *   default priorities and after a priority rotation;
 * - the MC146818: the date, update-ended interrupts a second apart, an alarm
 *   on the next update, and periodic interrupts at 8192 Hz;
 * - the 8254 counter 2 gated and read through port 0x61 (the polling loop
 *   of Linux's PIT calibration, shorter) and the read-back status;
 * - the i8042 self test and its keyboard and mouse.
 * Prints a line per check and exits 0 if all passed. */
#include <stdbool.h>
#include <stdint.h>

#include "runtime/idt64.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"

enum {
  PIC1 = 0x20,
  PIC2 = 0xa0,
  PIT_CH0 = 0x40,
  PIT_CH2 = 0x42,
  PIT_CMD = 0x43,
  PORT61 = 0x61,
  KBC_DATA = 0x60,
  KBC_CMD = 0x64,
  RTC_INDEX = 0x70,
  RTC_DATA = 0x71,
  COM1 = 0x3f8,
  PM_BASE = 0x600,
  PM1_CNT = PM_BASE + 4,
  PM_TMR = PM_BASE + 8,
};
enum { VECTOR_BASE = 0x20, NUM_VECTORS = 48, KERNEL_CODE64 = 0x08, GATE_INTERRUPT = 0x8e };
enum { RTC_A = 0x0a, RTC_B = 0x0b, RTC_C = 0x0c, RTC_D = 0x0d, RTC_UIP = 0x80 };
enum { RTC_PIE = 0x40, RTC_AIE = 0x20, RTC_UIE = 0x10, RTC_PF = 0x40, RTC_AF = 0x20, RTC_UF = 0x10, RTC_IRQF = 0x80 };
/* 20 periods of 1193 PIT clocks in PM timer ticks: 23860 * 3579545 / 1193182. */
enum { PIT_PERIODS = 20, PIT_COUNT = 1193, PIT_PERIODS_PM = 71580 };

static uint32_t pm_timer(void) { return inl(PM_TMR) & 0xffffff; }
static uint32_t pm_delta(uint32_t from, uint32_t to) { return (to - from) & 0xffffff; }

/* ---- the IDT: exceptions from the runtime, IRQ stubs from irq_stubs.S ---- */

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
  idt64_install(0); /* the runtime's exception handler: print and exit 0x7e */
  for (int v = 0; v < 32; v++) set_gate(v, isr64_stubs[v]);
  for (int i = 0; i < 16; i++) set_gate(VECTOR_BASE + i, irq_stubs[i]);
  struct __attribute__((packed)) {
    uint16_t limit;
    uint64_t base;
  } p = {sizeof idt - 1, (uint64_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

/* ---- interrupt bookkeeping ---- */

static volatile unsigned irq_count[16];
static volatile uint32_t irq_pm[16]; /* PM timer at each line's latest interrupt */
static volatile uint8_t order[8];
static volatile unsigned order_len;
static volatile uint8_t last_rtc_c;
/* What a handler does to make its device drop the request. */
static void (*volatile irq_action[16])(void);

void irq_dispatch(uint64_t irq) {
  irq_pm[irq] = pm_timer();
  irq_count[irq]++;
  if (order_len < sizeof order) order[order_len++] = (uint8_t)(VECTOR_BASE + irq);
  if (irq_action[irq]) irq_action[irq]();
  if (irq >= 8) outb(PIC2, 0x20); /* non-specific EOI, slave first */
  outb(PIC1, 0x20);
}

static void wait_irqs(int irq, unsigned count) {
  while (irq_count[irq] < count) __asm__ volatile("sti; hlt; cli");
}

static void set_masks(uint16_t unmasked) {
  outb(PIC1 + 1, (uint8_t)~unmasked);
  outb(PIC2 + 1, (uint8_t)(~unmasked >> 8));
}

static void pic_init(void) {
  outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 */
  outb(PIC1 + 1, VECTOR_BASE);
  outb(PIC1 + 1, 0x04); /* ICW3: slave on IR2 */
  outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
  outb(PIC2, 0x11);
  outb(PIC2 + 1, VECTOR_BASE + 8);
  outb(PIC2 + 1, 0x02); /* ICW3: slave ID 2 */
  outb(PIC2 + 1, 0x01);
  set_masks(0);
}

static uint8_t irr(uint16_t pic) {
  outb(pic, 0x0a); /* OCW3: read IRR */
  return inb(pic);
}

/* ---- checks ---- */

static int checks, passed;

static void check(bool ok, const char *what) {
  checks++;
  if (ok) passed++;
  kprintf("%s: %s\n", what, ok ? "ok" : "FAILED");
}

/* ---- devices ---- */

static uint8_t rtc_read(uint8_t reg) {
  outb(RTC_INDEX, reg);
  return inb(RTC_DATA);
}
static void rtc_write(uint8_t reg, uint8_t v) {
  outb(RTC_INDEX, reg);
  outb(RTC_DATA, v);
}
static void rtc_ack(void) { last_rtc_c = rtc_read(RTC_C); }
static void rtc_ack_stop_periodic(void) {
  rtc_ack();
  rtc_write(RTC_B, rtc_read(RTC_B) & ~RTC_PIE);
}

static void kbc_command(uint8_t c) { outb(KBC_CMD, c); }
static void kbc_write(uint8_t d) { outb(KBC_DATA, d); }
static void kbc_flush(void) {
  while (inb(KBC_CMD) & 0x01) (void)inb(KBC_DATA);
}
static void kbc_ack(void) { (void)inb(KBC_DATA); }
static int kbc_read_all(uint8_t *out, int max) {
  int n = 0;
  while (n < max && (inb(KBC_CMD) & 0x01)) out[n++] = inb(KBC_DATA);
  return n;
}

static void uart_quiet(void) {
  outb(COM1 + 1, 0x00); /* IER: no interrupts */
  (void)inb(COM1 + 2);
}

/* ---- the checks ---- */

static void pit_periodic(void) {
  outb(PIT_CMD, 0x34); /* counter 0, LSB then MSB, mode 2 */
  outb(PIT_CH0, PIT_COUNT & 0xff);
  outb(PIT_CH0, PIT_COUNT >> 8);
  set_masks(1u << 0);
  /* The control word may raise OUT0 at once; time from the second IRQ on. */
  wait_irqs(0, 2);
  const uint32_t start = irq_pm[0];
  const unsigned base = irq_count[0];
  wait_irqs(0, base + PIT_PERIODS);
  const uint32_t took = pm_delta(start, irq_pm[0]);
  set_masks(0);
  outb(PIT_CMD, 0x30); /* mode 0 without a count: OUT0 low, counter stopped */
  kprintf("pit mode 2: %d periods of %d clocks on IRQ 0 took %u PM timer ticks (3.579545 MHz)\n", PIT_PERIODS,
          PIT_COUNT, took);
  check(took >= PIT_PERIODS_PM - 2 && took <= PIT_PERIODS_PM + 2, "pit: IRQ 0 period against the PM timer");
}

/* Makes IRQ 0, 1, 4 and 8 pending at once with interrupts off, then lets
 * them in; returns the vectors in the order they came. */
static void raise_four_and_deliver(void) {
  set_masks(0);
  order_len = 0;
  outb(PIT_CMD, 0x30); /* counter 0, mode 0, count 2: OUT0 rises 3 clocks later */
  outb(PIT_CH0, 2);
  outb(PIT_CH0, 0);
  kbc_flush();
  kbc_command(0x60);
  kbc_write(0x45); /* command byte: keyboard interrupt, translation */
  kbc_command(0xd2);
  kbc_write(0x1c); /* a byte "from the keyboard": IRQ 1 */
  irq_action[1] = kbc_ack;
  outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 (the IRQ buffer) */
  outb(COM1 + 1, 0x02); /* THRE interrupt: IRQ 4 */
  irq_action[4] = uart_quiet;
  rtc_write(RTC_A, 0x23); /* 8192 Hz */
  (void)rtc_read(RTC_C);
  rtc_write(RTC_B, rtc_read(RTC_B) | RTC_PIE);
  irq_action[8] = rtc_ack_stop_periodic;
  for (int spin = 0; spin < 100000; spin++)
    if ((irr(PIC1) & 0x17) == 0x17 && (irr(PIC2) & 0x01)) break;
  set_masks((1u << 0) | (1u << 1) | (1u << 2) | (1u << 4) | (1u << 8));
  __asm__ volatile("sti; nop; nop; nop; nop; cli");
  set_masks(0);
  rtc_write(RTC_A, 0x26);
}

static bool order_is(const uint8_t *expected) {
  if (order_len != 4) return false;
  for (unsigned i = 0; i < 4; i++)
    if (order[i] != expected[i]) return false;
  return true;
}

static void print_order(const char *what) {
  kprintf("%s:", what);
  for (unsigned i = 0; i < order_len; i++) kprintf(" 0x%x", order[i]);
  kprintf("\n");
}

static void priorities(void) {
  static const uint8_t fully_nested[4] = {0x20, 0x21, 0x28, 0x24};
  static const uint8_t rotated[4] = {0x28, 0x24, 0x20, 0x21};
  raise_four_and_deliver();
  print_order("pic: IRQ 0, 1, 4, 8 pending together arrive as");
  check(order_is(fully_nested), "pic: fully nested priority (IRQ 8-15 between IRQ 1 and 3)");
  outb(PIC1, 0xc1); /* OCW2 set priority: IR1 lowest, IR2 highest */
  raise_four_and_deliver();
  print_order("pic: after OCW2 set priority (IR1 lowest) they arrive as");
  check(order_is(rotated), "pic: rotated priority");
  outb(PIC1, 0xc7); /* back to IR7 lowest */
}

static void rtc_checks(void) {
  while (rtc_read(RTC_A) & RTC_UIP) {
  }
  const uint8_t b = rtc_read(RTC_B), d = rtc_read(RTC_D);
  kprintf("rtc: 20%02x-%02x-%02x %02x:%02x:%02x, B=0x%02x D=0x%02x\n", rtc_read(9), rtc_read(8), rtc_read(7),
          rtc_read(4), rtc_read(2), rtc_read(0), b, d);
  check(b == 0x02 && d == 0x80, "rtc: BCD 24-hour mode, valid RAM and time");

  /* Update-ended interrupts, and an alarm for the second one. */
  irq_action[8] = rtc_ack;
  (void)rtc_read(RTC_C);
  const unsigned base = irq_count[8];
  rtc_write(RTC_B, 0x02 | RTC_UIE);
  set_masks((1u << 2) | (1u << 8));
  wait_irqs(8, base + 1);
  const uint32_t first = irq_pm[8];
  const uint8_t first_c = last_rtc_c;
  uint8_t sec = rtc_read(0);
  sec = (uint8_t)((sec & 0x0f) == 9 ? (sec == 0x59 ? 0 : (sec & 0xf0) + 0x10) : sec + 1); /* BCD + 1 */
  rtc_write(1, sec);
  rtc_write(3, 0xc0); /* minutes and hours: don't care */
  rtc_write(5, 0xc0);
  rtc_write(RTC_B, 0x02 | RTC_UIE | RTC_AIE);
  wait_irqs(8, base + 2);
  const uint32_t apart = pm_delta(first, irq_pm[8]);
  const uint8_t second_c = last_rtc_c;
  rtc_write(RTC_B, 0x02);
  kprintf("rtc: update-ended interrupts %u PM timer ticks apart; C = 0x%02x, then 0x%02x with the alarm\n", apart,
          first_c, second_c);
  check(apart >= 3579545 - 2 && apart <= 3579545 + 2, "rtc: one update per second");
  check((first_c & (RTC_IRQF | RTC_UF | RTC_AF)) == (RTC_IRQF | RTC_UF), "rtc: UF with IRQF");
  check((second_c & (RTC_IRQF | RTC_AF)) == (RTC_IRQF | RTC_AF) && rtc_read(0) == sec, "rtc: alarm at its second");

  /* Periodic interrupts at 8192 Hz: 64 periods of 4 oscillator clocks. */
  rtc_write(RTC_A, 0x23);
  (void)rtc_read(RTC_C);
  rtc_write(RTC_B, 0x02 | RTC_PIE);
  const unsigned p0 = irq_count[8];
  wait_irqs(8, p0 + 1);
  const uint32_t start = irq_pm[8];
  wait_irqs(8, p0 + 65);
  const uint32_t took = pm_delta(start, irq_pm[8]);
  rtc_write(RTC_B, 0x02);
  rtc_write(RTC_A, 0x26);
  set_masks(0);
  kprintf("rtc: 64 periodic interrupts at 8192 Hz took %u PM timer ticks\n", took);
  check(took >= 27965 - 2 && took <= 27965 + 2, "rtc: periodic rate");
}

static void pit_counter2(void) {
  outb(PORT61, (inb(PORT61) & ~0x02) | 0x01); /* gate 2 on, speaker off */
  outb(PIT_CMD, 0xb0);                        /* counter 2, mode 0, count 4095 */
  outb(PIT_CH2, 0xff);
  outb(PIT_CH2, 0x0f);
  const uint32_t t0 = pm_timer();
  while (!(inb(PORT61) & 0x20)) {
  }
  const uint32_t took = pm_delta(t0, pm_timer());
  outb(PIT_CMD, 0xe8); /* read-back: status of counter 2 */
  const uint8_t status = inb(PIT_CH2);
  outb(PORT61, inb(PORT61) & ~0x03);
  kprintf("pit counter 2: 4096 clocks until OUT2 (port 0x61 bit 5) took %u PM timer ticks; status 0x%02x\n", took,
          status);
  /* 4096 * 3579545 / 1193182 = 12288; the polling loop adds a little. */
  check(took >= 12286 && took <= 12295, "pit: counter 2 through port 0x61");
  check(status == 0xb0, "pit: read-back status (OUT, mode 0, LSB/MSB)");
}

static void i8042_checks(void) {
  uint8_t bytes[4];
  kbc_command(0xad);
  kbc_command(0xa7);
  kbc_flush();
  kbc_command(0x60);
  kbc_write(0x44); /* no interrupts, translation on */
  kbc_command(0xaa);
  const uint8_t self_test = inb(KBC_DATA);
  kbc_command(0xae);
  kbc_write(0xf2);
  const int nk = kbc_read_all(bytes, 4);
  const bool kbd_ok = nk == 3 && bytes[0] == 0xfa && bytes[1] == 0xab && bytes[2] == 0x41;
  kbc_command(0xa8);
  kbc_command(0xd4);
  kbc_write(0xff);
  const bool aux_data = (inb(KBC_CMD) & 0x21) == 0x21;
  const int nm = kbc_read_all(bytes, 4);
  const bool mouse_ok = nm == 3 && bytes[0] == 0xfa && bytes[1] == 0xaa && bytes[2] == 0x00 && aux_data;
  kprintf("i8042: self test 0x%02x, keyboard ID %s, mouse reset %s\n", self_test, kbd_ok ? "ab 41" : "wrong",
          mouse_ok ? "fa aa 00" : "wrong");
  check(self_test == 0x55 && kbd_ok && mouse_ok, "i8042: controller, keyboard and mouse answer");
}

static void acpi_checks(void) {
  const uint16_t cnt = inw(PM1_CNT);
  outw(PM_BASE + 2, 0); /* PM1_EN: nothing */
  check((cnt & 1) == 1, "acpi: SCI_EN set (always in ACPI mode)");
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  install_idt();
  pic_init();
  pit_periodic();
  priorities();
  rtc_checks();
  pit_counter2();
  i8042_checks();
  acpi_checks();
  kprintf("chipset: %d of %d checks passed\n", passed, checks);
  return passed == checks ? 0 : 1;
}

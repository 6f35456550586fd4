/* pci: finds and enumerates the PCI bus the way an OS does, through
 * configuration mechanism #1 (ports 0xcf8/0xcfc; PCI Local Bus 3.0
 * §3.2.2.3.2) and through ECAM (the window the ACPI MCFG table names; PCI
 * Express Base §7.2.2), and checks that both see the same registers.
 * Prints each function with its identity, header, command/status, BARs
 * (sized by writing all ones) and capability list; then the details a
 * driver relies on: CONFIG_ADDRESS semantics and its neighbour, the reset
 * control register at 0xcf9; ECAM at every access width; read-only fields;
 * the host bridge's PCIEXBAR; the LPC bridge's PMBASE (moving the ACPI PM
 * timer with it) and interrupt routing registers. Exits 0 when every check
 * passed (roms/README.md). */
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    kprintf("FAILED: %s\n", what);
    failures++;
  }
}

/* ---- configuration mechanism #1 ---- */
#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc

static uint32_t cf8(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}
static uint32_t cfg1_read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  outl(CONFIG_ADDRESS, cf8(bus, dev, fn, reg));
  return inl(CONFIG_DATA);
}
static uint16_t cfg1_read16(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  outl(CONFIG_ADDRESS, cf8(bus, dev, fn, reg));
  return inw(CONFIG_DATA + (reg & 2));
}
static uint8_t cfg1_read8(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  outl(CONFIG_ADDRESS, cf8(bus, dev, fn, reg));
  return inb(CONFIG_DATA + (reg & 3));
}
static void cfg1_write32(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v) {
  outl(CONFIG_ADDRESS, cf8(bus, dev, fn, reg));
  outl(CONFIG_DATA, v);
}
static void cfg1_write16(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint16_t v) {
  outl(CONFIG_ADDRESS, cf8(bus, dev, fn, reg));
  outw(CONFIG_DATA + (reg & 2), v);
}

/* ---- ECAM ---- */
static uintptr_t ecam_base;
static unsigned ecam_first_bus, ecam_last_bus;

static uintptr_t ecam_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return ecam_base + ((uintptr_t)(bus - ecam_first_bus) << 20 | dev << 15 | fn << 12 | reg);
}
static uint32_t ecam_read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return *(volatile uint32_t *)ecam_addr(bus, dev, fn, reg);
}
static void ecam_write32(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t v) {
  *(volatile uint32_t *)ecam_addr(bus, dev, fn, reg) = v;
}

/* Finds MCFG through the RSDP (ACPI 6.4 §5.2.5.1) and the XSDT. */
static int find_ecam(void) {
  const uint8_t *rsdp = 0;
  for (uintptr_t p = 0xe0000; p < 0x100000 && !rsdp; p += 16)
    if (!memcmp((const void *)p, "RSD PTR ", 8)) rsdp = (const uint8_t *)p;
  if (!rsdp) return 0;
  uint64_t xsdt;
  memcpy(&xsdt, rsdp + 24, 8);
  const uint8_t *x = (const uint8_t *)(uintptr_t)xsdt;
  uint32_t len;
  memcpy(&len, x + 4, 4);
  for (uint32_t off = 36; off + 8 <= len; off += 8) {
    uint64_t t;
    memcpy(&t, x + off, 8);
    const uint8_t *table = (const uint8_t *)(uintptr_t)t;
    if (memcmp(table, "MCFG", 4)) continue;
    /* The first allocation: base (8), segment (2), start bus, end bus. */
    uint64_t base;
    memcpy(&base, table + 44, 8);
    ecam_base = (uintptr_t)base;
    ecam_first_bus = table[54];
    ecam_last_bus = table[55];
    return 1;
  }
  return 0;
}

/* ---- enumeration ---- */
struct function {
  uint8_t bus, dev, fn;
};
static struct function found[64];
static unsigned found_count;

typedef uint32_t (*read32_fn)(unsigned, unsigned, unsigned, unsigned);

/* Scans every bus the way PCI 3.0 §6.2.1 (Header Type bit 7) says: function
 * 0 of each device, functions 1-7 only behind a multi-function function 0.
 * Returns how many functions answered. */
static unsigned scan(read32_fn read32, unsigned first_bus, unsigned last_bus, struct function *out, unsigned max) {
  unsigned n = 0;
  for (unsigned bus = first_bus; bus <= last_bus; bus++)
    for (unsigned dev = 0; dev < 32; dev++) {
      if ((read32(bus, dev, 0, 0) & 0xffff) == 0xffff) continue;
      const unsigned fns = read32(bus, dev, 0, 0x0c) >> 16 & 0x80 ? 8 : 1;
      for (unsigned fn = 0; fn < fns; fn++) {
        if ((read32(bus, dev, fn, 0) & 0xffff) == 0xffff) continue;
        if (n < max) out[n] = (struct function){(uint8_t)bus, (uint8_t)dev, (uint8_t)fn};
        n++;
      }
    }
  return n;
}

static void print_bars(const struct function *f) {
  int any = 0;
  for (unsigned i = 0; i < 6; i++) {
    const unsigned reg = 0x10 + 4 * i;
    const uint32_t old = cfg1_read32(f->bus, f->dev, f->fn, reg);
    cfg1_write32(f->bus, f->dev, f->fn, reg, 0xffffffff);
    const uint32_t mask = cfg1_read32(f->bus, f->dev, f->fn, reg);
    cfg1_write32(f->bus, f->dev, f->fn, reg, old);
    if (!mask) continue;
    any = 1;
    if (mask & 1)
      kprintf("    BAR%u: I/O, %u bytes at 0x%x\n", i, (~(mask & ~3u) & 0xffff) + 1, old & ~3u);
    else
      kprintf("    BAR%u: memory, %u bytes at 0x%x\n", i, ~(mask & ~15u) + 1, old & ~15u);
  }
  if (!any) kprintf("    BARs: none\n");
}

static void print_function(const struct function *f) {
  const uint32_t id = cfg1_read32(f->bus, f->dev, f->fn, 0x00);
  const uint32_t cls = cfg1_read32(f->bus, f->dev, f->fn, 0x08);
  const uint32_t cmdsts = cfg1_read32(f->bus, f->dev, f->fn, 0x04);
  const uint8_t hdr = cfg1_read8(f->bus, f->dev, f->fn, 0x0e);
  kprintf("  %02x:%02x.%u %04x:%04x class %06x rev %02x header %02x command %04x status %04x\n", f->bus, f->dev,
          f->fn, id & 0xffff, id >> 16, cls >> 8, cls & 0xff, hdr, cmdsts & 0xffff, cmdsts >> 16);
  print_bars(f);
  if (cmdsts >> 16 & 0x10) {
    kprintf("    capabilities:");
    unsigned at = cfg1_read8(f->bus, f->dev, f->fn, 0x34) & ~3u, steps = 0;
    while (at && steps++ < 48) {
      kprintf(" 0x%02x (ID %02x)", at, cfg1_read8(f->bus, f->dev, f->fn, at));
      at = cfg1_read8(f->bus, f->dev, f->fn, at + 1) & ~3u;
    }
    kprintf("\n");
  }
  const uint16_t pin_line = cfg1_read16(f->bus, f->dev, f->fn, 0x3c);
  if (pin_line >> 8) kprintf("    interrupt pin INT%c#\n", 'A' + (pin_line >> 8) - 1);
}

/* ---- the details ---- */
static void config_address(void) {
  /* Linux's probe (arch/x86/pci/direct.c): a byte to 0xcfb must not touch
   * CONFIG_ADDRESS, which reads back a dword written to it. */
  outb(0xcfb, 0x01);
  const uint32_t saved = inl(CONFIG_ADDRESS);
  outl(CONFIG_ADDRESS, 0x80000000);
  const int type1 = inl(CONFIG_ADDRESS) == 0x80000000;
  outl(CONFIG_ADDRESS, saved);
  kprintf("mechanism #1: %s\n", type1 ? "present" : "absent");
  check(type1, "CONFIG_ADDRESS holds a dword");
  outl(CONFIG_ADDRESS, 0xffffffff);
  kprintf("CONFIG_ADDRESS after writing 0xffffffff: 0x%08x\n", inl(CONFIG_ADDRESS));
  /* Mechanism #2's probe sees nothing: byte accesses pass through. */
  outb(0xcf8, 0x00);
  outb(0xcfa, 0x00);
  kprintf("bytes at 0xcf8, 0xcfa: 0x%02x 0x%02x\n", inb(0xcf8), inb(0xcfa));
  check(inl(CONFIG_ADDRESS) == 0x80fffffc, "byte writes leave CONFIG_ADDRESS alone");
  /* 0xcf9 is the reset control register; SYS_RST alone does not reset. */
  outb(0xcf9, 0x02);
  kprintf("word at 0xcf8 with RST_CNT = 0x02: 0x%04x\n", inw(0xcf8));
  outb(0xcf9, 0x00);
  check(inb(0xcf9) == 0x00, "RST_CNT reads back");
  /* With the enable bit clear, the data port is an I/O port nobody has. */
  outl(CONFIG_ADDRESS, 0x00000000);
  kprintf("CONFIG_DATA with bit 31 clear: 0x%08x\n", inl(CONFIG_DATA));
  /* Register bits 1:0 are not part of the address; 0xcfc + n is byte n. */
  outl(CONFIG_ADDRESS, 0x80000003);
  kprintf("00:00.0 through 0xcfc/0xcfd/0xcfe: 0x%08x 0x%02x 0x%04x\n", inl(CONFIG_DATA), inb(0xcfd), inw(0xcfe));
}

static void ecam_widths(void) {
  volatile uint8_t *h = (volatile uint8_t *)ecam_addr(0, 0, 0, 0);
  kprintf("ECAM 00:00.0 bytes 0-7 as 8/4/2/1: 0x%016lx 0x%08x 0x%04x 0x%02x\n", *(volatile uint64_t *)h,
          *(volatile uint32_t *)(h + 2), *(volatile uint16_t *)(h + 3), h[6]);
  kprintf("ECAM 00:1f.0 register 0x100 (extended): 0x%08x; 00:1f.1: 0x%08x; bus 1: 0x%08x\n",
          ecam_read32(0, 31, 0, 0x100), ecam_read32(0, 31, 1, 0), ecam_read32(1, 0, 0, 0));
}

/* Mechanism #1 and ECAM must agree on all 256 bytes of every function. */
static void compare(void) {
  unsigned differ = 0;
  for (unsigned i = 0; i < found_count; i++)
    for (unsigned reg = 0; reg < 0x100; reg += 4) {
      const struct function *f = &found[i];
      if (cfg1_read32(f->bus, f->dev, f->fn, reg) != ecam_read32(f->bus, f->dev, f->fn, reg)) differ++;
    }
  kprintf("mechanism #1 and ECAM: %u dwords differ\n", differ);
  check(!differ, "both mechanisms read the same registers");
}

static void read_only(void) {
  const uint32_t id = cfg1_read32(0, 0, 0, 0), cls = cfg1_read32(0, 31, 0, 8);
  cfg1_write32(0, 0, 0, 0, 0);
  ecam_write32(0, 31, 0, 8, 0);
  cfg1_write16(0, 0, 0, 0x04, 0x0000); /* Memory Space and Bus Master cannot be turned off */
  check(cfg1_read32(0, 0, 0, 0) == id && cfg1_read32(0, 31, 0, 8) == cls, "identity is read only");
  kprintf("host bridge command after writing 0: 0x%04x\n", cfg1_read16(0, 0, 0, 0x04));
}

static void host_bridge(void) {
  const uint32_t pciexbar = cfg1_read32(0, 0, 0, 0x60);
  kprintf("host bridge: PCIEXBAR 0x%08x, TOLUD 0x%04x\n", pciexbar, cfg1_read16(0, 0, 0, 0xb0));
  check((pciexbar & ~0xfu) == ecam_base && (pciexbar & 1), "PCIEXBAR is the MCFG window, enabled");
}

static uint32_t pm_timer(uint16_t pmbase) { return inl(pmbase + 8) & 0xffffff; }

/* The PM timer counts at 3.58 MHz: it moves within a few thousand instructions. */
static int timer_runs(uint16_t pmbase) {
  const uint32_t t0 = pm_timer(pmbase);
  for (volatile int i = 0; i < 2000; i++) {
  }
  return pm_timer(pmbase) != t0;
}

static void lpc(void) {
  const uint32_t pmbase = cfg1_read32(0, 31, 0, 0x40);
  const uint8_t acpi_cntl = cfg1_read8(0, 31, 0, 0x44);
  kprintf("LPC: PMBASE 0x%08x, ACPI_CNTL 0x%02x, PIRQA-D 0x%08x, PIRQE-H 0x%08x, RCBA 0x%08x\n", pmbase, acpi_cntl,
          cfg1_read32(0, 31, 0, 0x60), cfg1_read32(0, 31, 0, 0x68), cfg1_read32(0, 31, 0, 0xf0));
  const uint16_t base = pmbase & 0xff80;
  check(timer_runs(base), "the PM timer runs at PMBASE + 8");
  /* Move the ACPI block to 0x680 through ECAM, then back. */
  ecam_write32(0, 31, 0, 0x40, 0x680);
  const int runs = timer_runs(0x680);
  const uint32_t old = inl(base + 8);
  kprintf("PMBASE 0x680: timer at 0x688 %s, 0x%x reads 0x%08x\n", runs ? "runs" : "stopped", base + 8, old);
  check(runs && old == 0xffffffff, "the ACPI block follows PMBASE");
  cfg1_write32(0, 31, 0, 0x40, pmbase);
  check(timer_runs(base), "the ACPI block is back");
  /* ACPI_EN off: the block is gone. */
  ecam_write32(0, 31, 0, 0x44, 0);
  kprintf("ACPI_EN 0: PM_TMR reads 0x%08x\n", inl(base + 8));
  ecam_write32(0, 31, 0, 0x44, acpi_cntl);
  check(timer_runs(base), "ACPI_EN on again");
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic, (void)info;
  config_address();
  check(find_ecam(), "MCFG found");
  kprintf("MCFG: ECAM at 0x%lx, buses %u-%u\n", (unsigned long)ecam_base, ecam_first_bus, ecam_last_bus);

  found_count = scan(cfg1_read32, 0, 255, found, 64);
  kprintf("mechanism #1: %u functions on buses 0-255\n", found_count);
  for (unsigned i = 0; i < found_count && i < 64; i++) print_function(&found[i]);
  struct function by_ecam[64];
  const unsigned ecam_count = scan(ecam_read32, ecam_first_bus, ecam_last_bus, by_ecam, 64);
  kprintf("ECAM: %u functions on buses %u-%u\n", ecam_count, ecam_first_bus, ecam_last_bus);
  check(ecam_count == found_count && !memcmp(by_ecam, found, found_count * sizeof found[0]),
        "both mechanisms find the same functions");
  compare();
  ecam_widths();
  read_only();
  host_bridge();
  lpc();
  if (failures) return 1;
  kprintf("pci: all checks passed\n");
  return 0;
}

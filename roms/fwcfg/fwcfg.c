/* fwcfg: reads the machine's firmware interfaces the way a test kernel
 * written for QEMU does, through the CPU: fw_cfg by its I/O ports and by
 * DMA (QEMU docs/specs/fw_cfg.rst), the e820 map from etc/e820, and the
 * ACPI tables found by scanning for the RSDP (ACPI 6.4 section 5.2.5.1),
 * each checksum checked, and the SMBIOS tables found by scanning the F
 * segment for their entry point (DSP0134 5.2.2), the same bytes as fw_cfg's
 * etc/smbios files. Prints what it finds; exits 0 when every check passed
 * (roms/README.md). */
#include <stdint.h>

#include "runtime/boot.h"
#include "runtime/io.h"
#include "runtime/kprintf.h"
#include "runtime/kstring.h"

#define FW_SELECTOR 0x510
#define FW_DATA 0x511
#define FW_DMA_HI 0x514
#define FW_DMA_LO 0x518

#define DMA_ERROR 0x01
#define DMA_READ 0x02
#define DMA_SELECT 0x08
#define DMA_WRITE 0x10

static int failures;

static void check(int ok, const char *what) {
  if (!ok) {
    kprintf("FAILED: %s\n", what);
    failures++;
  }
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint64_t le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint8_t sum8(const uint8_t *p, uint32_t n) {
  uint8_t s = 0;
  while (n--) s += *p++;
  return s;
}

/* ---- the traditional interface ---- */
static void select_item(uint16_t key) { outw(FW_SELECTOR, key); }
static void read_ports(void *dst, uint32_t n) {
  uint8_t *d = dst;
  while (n--) *d++ = inb(FW_DATA);
}

/* ---- DMA: the access structure is big-endian ---- */
struct dma_access {
  uint32_t control, length;
  uint64_t address;
} __attribute__((packed));
static volatile struct dma_access access __attribute__((aligned(16)));

static uint32_t dma(uint32_t control, void *buf, uint32_t length) {
  access.control = __builtin_bswap32(control);
  access.length = __builtin_bswap32(length);
  access.address = __builtin_bswap64((uint64_t)(uintptr_t)buf);
  uint64_t a = (uint64_t)(uintptr_t)&access;
  outl(FW_DMA_HI, __builtin_bswap32((uint32_t)(a >> 32)));
  outl(FW_DMA_LO, __builtin_bswap32((uint32_t)a)); /* starts the transfer */
  __asm__ volatile("" ::: "memory");               /* the device wrote memory */
  return __builtin_bswap32(access.control);
}

static uint8_t buffer[64 * 1024];

struct file {
  char name[56];
  uint16_t select;
  uint32_t size;
};
static struct file files[16];
static uint32_t file_count;

static const struct file *find_file(const char *name) {
  for (uint32_t i = 0; i < file_count; i++)
    if (!memcmp(files[i].name, name, strlen(name) + 1)) return &files[i];
  return 0;
}

static void interface(void) {
  char sig[5] = {0};
  select_item(0x0000);
  read_ports(sig, 4);
  kprintf("fw_cfg signature: %s\n", sig);
  uint32_t id = 0;
  select_item(0x0001);
  read_ports(&id, 4);
  kprintf("fw_cfg id: 0x%x\n", id);
  check(id & 2, "the DMA interface is there");
  uint32_t hi = inl(FW_DMA_HI), lo = inl(FW_DMA_LO);
  char dsig[9] = {0};
  memcpy(dsig, &hi, 4);
  memcpy(dsig + 4, &lo, 4);
  kprintf("DMA register: %s\n", dsig);

  uint64_t ram = 0;
  check(dma(0x0003u << 16 | DMA_SELECT | DMA_READ, &ram, 8) == 0, "DMA read of RAM size");
  uint16_t cpus = 0, max_cpus = 0;
  select_item(0x0005);
  read_ports(&cpus, 2);
  select_item(0x000f);
  read_ports(&max_cpus, 2);
  kprintf("RAM: %lu MiB, vCPUs: %u (max %u)\n", (unsigned long)(ram >> 20), cpus, max_cpus);
  check(dma(0x0003u << 16 | DMA_SELECT | DMA_WRITE, &ram, 8) == DMA_ERROR,
        "a DMA write to a read-only item sets the error bit");
}

static void directory(void) {
  /* The directory by DMA; its count by the ports too. */
  uint8_t count_be[4];
  select_item(0x0019);
  read_ports(count_be, 4);
  check(dma(0x0019u << 16 | DMA_SELECT | DMA_READ, buffer, sizeof buffer) == 0, "DMA read of the directory");
  file_count = be32(buffer);
  check(file_count == be32(count_be), "ports and DMA agree on the file count");
  if (file_count > 16) file_count = 16;
  kprintf("files: %u\n", file_count);
  for (uint32_t i = 0; i < file_count; i++) {
    const uint8_t *e = buffer + 4 + 64 * i;
    files[i].size = be32(e);
    files[i].select = be16(e + 4);
    memcpy(files[i].name, e + 8, 56);
    files[i].name[55] = 0;
    /* The tables' sizes follow the DSDT's source and the version strings, so they are not printed. */
    if (!memcmp(files[i].name, "etc/acpi/tables", 16) || !memcmp(files[i].name, "etc/smbios/smbios-tables", 25))
      kprintf("  0x%x %s\n", files[i].select, files[i].name);
    else
      kprintf("  0x%x %s (%u bytes)\n", files[i].select, files[i].name, files[i].size);
  }
}

static void e820(void) {
  const struct file *f = find_file("etc/e820");
  check(f != 0, "etc/e820 is listed");
  if (!f) return;
  check(dma((uint32_t)f->select << 16 | DMA_SELECT | DMA_READ, buffer, f->size) == 0, "DMA read of etc/e820");
  kprintf("e820:\n");
  for (uint32_t at = 0; at + 20 <= f->size; at += 20)
    kprintf("  %lx-%lx type %u\n", (unsigned long)le(buffer + at, 8),
            (unsigned long)(le(buffer + at, 8) + le(buffer + at + 8, 8) - 1), (unsigned)le(buffer + at + 16, 4));
}

/* The FACS has no checksum; every other table sums to 0. */
static const uint8_t *table_at(uint64_t address, const char *want) {
  const uint8_t *t = (const uint8_t *)(uintptr_t)address;
  check(!memcmp(t, want, 4), want);
  if (memcmp(want, "FACS", 4)) check(sum8(t, (uint32_t)le(t + 4, 4)) == 0, "a table's checksum");
  return t;
}

static void acpi(void) {
  const uint8_t *rsdp = 0;
  for (uintptr_t a = 0xe0000; a < 0x100000 && !rsdp; a += 16)
    if (!memcmp((const void *)a, "RSD PTR ", 8)) rsdp = (const uint8_t *)a;
  check(rsdp != 0, "an RSDP in 0xE0000-0xFFFFF");
  if (!rsdp) return;
  check(sum8(rsdp, 20) == 0 && sum8(rsdp, 36) == 0, "the RSDP's checksums");
  kprintf("RSDP at 0x%lx, revision %u, OEM %c%c%c%c%c%c\n", (unsigned long)(uintptr_t)rsdp, rsdp[15], rsdp[9], rsdp[10],
          rsdp[11], rsdp[12], rsdp[13], rsdp[14]);

  /* fw_cfg's RSDP is the same structure before the loader placed it. */
  const struct file *f = find_file("etc/acpi/rsdp");
  check(f && f->size == 36, "etc/acpi/rsdp is 36 bytes");
  if (f) {
    dma((uint32_t)f->select << 16 | DMA_SELECT | DMA_READ, buffer, 36);
    check(!memcmp(buffer, rsdp, 8) && buffer[15] == rsdp[15], "etc/acpi/rsdp is an RSDP");
  }

  const uint8_t *xsdt = table_at(le(rsdp + 24, 8), "XSDT");
  const uint8_t *rsdt = table_at(le(rsdp + 16, 4), "RSDT");
  uint32_t n = (uint32_t)(le(xsdt + 4, 4) - 36) / 8;
  check(n == (le(rsdt + 4, 4) - 36) / 4, "the RSDT lists as many tables as the XSDT");
  kprintf("XSDT:");
  const uint8_t *fadt = 0, *madt = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *t = (const uint8_t *)(uintptr_t)le(xsdt + 36 + 8 * i, 8);
    check(sum8(t, (uint32_t)le(t + 4, 4)) == 0, "a listed table's checksum");
    kprintf(" %c%c%c%c", t[0], t[1], t[2], t[3]);
    if (!memcmp(t, "FACP", 4)) fadt = t;
    if (!memcmp(t, "APIC", 4)) madt = t;
  }
  kprintf("\n");
  check(fadt && madt, "a FADT and a MADT");
  if (!fadt || !madt) return;
  table_at(le(fadt + 140, 8), "DSDT");
  table_at(le(fadt + 36, 4), "FACS");
  kprintf("FADT: revision %u, SCI %u, PM1a_EVT 0x%x, PM1a_CNT 0x%x, PM_TMR 0x%x, reset 0x%x <- 0x%x\n", fadt[8],
          (unsigned)le(fadt + 46, 2), (unsigned)le(fadt + 56, 4), (unsigned)le(fadt + 64, 4),
          (unsigned)le(fadt + 76, 4), (unsigned)le(fadt + 120, 8), fadt[128]);
  unsigned lapics = 0;
  for (uint32_t at = 44; at < le(madt + 4, 4); at += madt[at + 1]) {
    if (madt[at] == 0) lapics++;
    if (madt[at] == 1)
      kprintf("MADT: IOAPIC id %u at 0x%x, GSI base %u\n", madt[at + 2], (unsigned)le(madt + at + 4, 4),
              (unsigned)le(madt + at + 8, 4));
    if (madt[at + 1] == 0) break;
  }
  kprintf("MADT: %u local APIC(s) at 0x%x\n", lapics, (unsigned)le(madt + 36, 4));
}

/* String n (1-based) of the structure at s with formatted length len; "" for 0. */
static const char *smbios_string(const uint8_t *s, uint32_t n) {
  const char *p = (const char *)s + s[1];
  if (n == 0) return "";
  while (--n && *p) p += strlen(p) + 1;
  return p;
}

static void smbios(void) {
  const uint8_t *ep = 0;
  for (uintptr_t a = 0xf0000; a < 0x100000 && !ep; a += 16)
    if (!memcmp((const void *)a, "_SM3_", 5)) ep = (const uint8_t *)a;
  check(ep != 0, "an SMBIOS 3.0 entry point in 0xF0000-0xFFFFF");
  if (!ep) return;
  check(ep[6] == 0x18 && sum8(ep, 0x18) == 0, "the SMBIOS entry point's length and checksum");
  const uint8_t *t = (const uint8_t *)(uintptr_t)le(ep + 0x10, 8);
  const uint32_t max = (uint32_t)le(ep + 0x0c, 4);
  kprintf("SMBIOS %u.%u at 0x%lx, structure table at 0x%lx\n", ep[7], ep[8], (unsigned long)(uintptr_t)ep,
          (unsigned long)(uintptr_t)t);
  uint32_t at = 0, count = 0, processors = 0, end = 0;
  const uint8_t *system = 0;
  while (at + 4 <= max && !end) {
    const uint8_t *s = t + at;
    count++;
    if (s[0] == 1) system = s;
    if (s[0] == 4) processors++;
    if (s[0] == 127) end = 1;
    uint32_t p = at + s[1]; /* the string set ends with two NULs */
    while (p + 1 < max && (t[p] || t[p + 1])) p++;
    at = p + 2;
  }
  check(end && at == max, "the structure table ends with type 127 at its length");
  check(system != 0, "a system information structure");
  if (system)
    kprintf("SMBIOS: %u structures, system \"%s\" \"%s\", %u processor structure(s)\n", count,
            smbios_string(system, system[4]), smbios_string(system, system[5]), processors);

  /* fw_cfg's copy: the same structures; the anchor with table address 0. */
  const struct file *f = find_file("etc/smbios/smbios-tables");
  check(f && f->size == max, "etc/smbios/smbios-tables has the table's length");
  if (f && f->size <= sizeof buffer) {
    dma((uint32_t)f->select << 16 | DMA_SELECT | DMA_READ, buffer, f->size);
    check(!memcmp(buffer, t, f->size), "etc/smbios/smbios-tables holds the same structures");
  }
  f = find_file("etc/smbios/smbios-anchor");
  check(f && f->size == 0x18, "etc/smbios/smbios-anchor is a 24-byte entry point");
  if (f) {
    dma((uint32_t)f->select << 16 | DMA_SELECT | DMA_READ, buffer, 0x18);
    check(!memcmp(buffer, ep, 5) && !memcmp(buffer + 6, ep + 6, 10) && le(buffer + 0x10, 8) == 0 &&
              sum8(buffer, 0x18) == 0,
          "etc/smbios/smbios-anchor is the entry point with table address 0");
  }
}

int kmain(uint32_t magic, uint32_t info) {
  (void)magic;
  (void)info;
  interface();
  directory();
  e820();
  acpi();
  smbios();
  kprintf("fwcfg: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}

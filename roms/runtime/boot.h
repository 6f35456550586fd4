/* What the entry stub (entry.S) hands to a ROM. */
#pragma once
#include <stdint.h>

/* Each ROM defines kmain; its return value becomes the debug-exit code. */
int kmain(uint32_t magic, uint32_t info);

/* EAX and EBX as the boot loader left them (also passed to kmain). */
extern uint32_t boot_magic;
extern uint32_t boot_info;

/* The identity map built at boot: boot_pd[i] maps 2 MiB at i << 21 (i < 2048). */
extern uint64_t boot_pml4[512];
extern uint64_t boot_pdpt[512];
extern uint64_t boot_pd[2048];

#define PTE_PRESENT 0x1ull

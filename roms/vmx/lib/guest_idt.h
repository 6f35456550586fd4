/* An IDT for 64-bit guests: every vector has a present interrupt gate to a
 * stub that reports the vector (RAX = vector, then VMCALL). */
#pragma once
#include <stdint.h>

/* Points the current VMCS's guest IDTR at that IDT. */
void guest_idt_use(void);
/* Marks a vector's gate present (1) or not (0). */
void guest_idt_present(unsigned vector, int present);

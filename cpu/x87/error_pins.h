// The x87's external error signals for CR0.NE=0 ("MS-DOS compatibility"
// error reporting, SDM Vol. 1 §8.7, Appendix D). With NE=0 a pending
// unmasked x87 exception does not raise #MF: at the next waiting x87 or MMX
// instruction the processor asserts FERR# and freezes until an interrupt
// arrives, unless IGNNE# is asserted (then it ignores the error and runs
// the instruction). On a PC the chipset routes FERR# to IRQ13 of the slave
// PIC and asserts IGNNE# after a write to port F0h, until FERR# goes
// inactive. FERR# goes inactive when the exception summary (FSW.ES) is
// cleared (FNCLEX, FNINIT, FNSAVE, FLDENV/FRSTOR/FXRSTOR of a clean status).
#pragma once

namespace vtlab {

class X87ErrorPins {
 public:
  virtual ~X87ErrorPins() = default;
  virtual void ferr(bool asserted) = 0;  // FERR# changed
  virtual bool ignne() const = 0;        // IGNNE# is asserted
};

}  // namespace vtlab

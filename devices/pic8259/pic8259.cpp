#include "devices/pic8259/pic8259.h"

namespace vtlab {

void Pic8259::reset() {
  const u8 elcr = elcr_, lines = lines_;
  *this = Pic8259(master_);
  elcr_ = elcr;    // the ELCR belongs to the chipset, which resets it itself
  lines_ = lines;  // the devices still drive their lines
}

void Pic8259::set_elcr(u8 elcr) { elcr_ = elcr; }

void Pic8259::set_input(unsigned pin, bool level) {
  const u8 bit = u8(1u << (pin & 7));
  if (level && !(lines_ & bit)) edge_ |= bit;  // rising edge
  if (!level) edge_ &= u8(~bit);               // a request must stay high until INTA
  lines_ = level ? u8(lines_ | bit) : u8(lines_ & ~bit);
}

u8 Pic8259::irr() const {
  const u8 level = level_pins();
  return u8((lines_ & level) | (lines_ & edge_ & ~level));
}

int Pic8259::highest_in(u8 bits) const {
  for (unsigned p = 0; p < 8; ++p) {
    unsigned level = (lowest_ + 1 + p) & 7;
    if (bits & (1u << level)) return int(level);
  }
  return -1;
}

bool Pic8259::is_cascade_input(unsigned level) const {
  return master_ && !(icw1_ & kIcw1Single) && (icw3_ & (1u << (level & 7)));
}

bool Pic8259::responds_to_cascade(unsigned id) const { return !master_ && (icw3_ & 7) == id; }

int Pic8259::pending_level() const {
  u8 req = requests();
  // Special mask mode: an in-service level blocks only itself.
  if (special_mask_) req &= u8(~isr_);
  const int r = highest_in(req);
  if (r < 0 || special_mask_) return r;
  const int s = highest_in(isr_);
  if (s < 0 || priority_of(unsigned(r)) < priority_of(unsigned(s))) return r;
  // Special fully nested mode: the slave on an in-service cascade input may
  // still interrupt with a request of its own higher-priority levels.
  if (r == s && (icw4_ & kIcw4Sfnm) && is_cascade_input(unsigned(r))) return r;
  return -1;
}

Pic8259::Ack Pic8259::acknowledge() {
  const int l = pending_level();
  if (l < 0) return {7, true};  // the request went away: default IR7, nothing in service
  const u8 bit = u8(1u << l);
  edge_ &= u8(~bit);
  if (icw4_ & kIcw4Aeoi) {
    if (rotate_aeoi_) lowest_ = u8(l);
  } else {
    isr_ |= bit;
  }
  return {unsigned(l), false};
}

u8 Pic8259::vector_for(unsigned level) const {
  level &= 7;
  if (mcs80_mode()) {
    // The low byte of the CALL address (8259A datasheet, "MCS-80/85 mode").
    return (icw1_ & kIcw1Adi) ? u8((icw1_ & 0xe0) | (level << 2)) : u8((icw1_ & 0xc0) | (level << 3));
  }
  return u8((icw2_ & 0xf8) | level);
}

u8 Pic8259::poll() {
  // A poll command makes the next read an interrupt acknowledge.
  if (pending_level() < 0) return 0;
  return u8(0x80 | acknowledge().level);
}

u8 Pic8259::read(unsigned a0) {
  if (poll_) {
    poll_ = false;
    return poll();
  }
  if (a0 & 1) return imr_;
  return read_isr_ ? isr_ : irr();
}

void Pic8259::write(unsigned a0, u8 value) {
  if (!(a0 & 1)) {
    if (value & kIcw1Init)
      write_icw1(value);
    else if (value & 0x08)
      write_ocw3(value);
    else
      write_ocw2(value);
    return;
  }
  switch (init_step_) {
    case 2:
      icw2_ = value;
      init_step_ = !(icw1_ & kIcw1Single) ? 3 : (icw1_ & kIcw1Ic4) ? 4 : 0;
      break;
    case 3:
      icw3_ = value;
      init_step_ = (icw1_ & kIcw1Ic4) ? 4 : 0;
      break;
    case 4:
      icw4_ = value & kIcw4Mask;
      init_step_ = 0;
      break;
    default:
      imr_ = value;
      break;  // OCW1
  }
}

void Pic8259::write_icw1(u8 value) {
  icw1_ = value;
  edge_ = 0;
  imr_ = 0;
  isr_ = 0;
  lowest_ = 7;
  icw3_ = 7;
  special_mask_ = read_isr_ = poll_ = rotate_aeoi_ = false;
  if (!(value & kIcw1Ic4)) icw4_ = 0;
  init_step_ = 2;
}

// OCW2 bits 7:5 (R, SL, EOI), 8259A datasheet Figure "Operation Command Words".
void Pic8259::write_ocw2(u8 value) {
  const unsigned level = value & 7;
  switch (value >> 5) {
    case 0:
      rotate_aeoi_ = false;
      break;  // rotate in automatic EOI mode (clear)
    case 1:   // non-specific EOI
      if (int l = highest_in(isr_); l >= 0) end_of_interrupt(unsigned(l), false);
      break;
    case 2:
      break;  // no operation
    case 3:
      end_of_interrupt(level, false);
      break;  // specific EOI
    case 4:
      rotate_aeoi_ = true;
      break;  // rotate in automatic EOI mode (set)
    case 5:   // rotate on non-specific EOI
      if (int l = highest_in(isr_); l >= 0) end_of_interrupt(unsigned(l), true);
      break;
    case 6:
      lowest_ = u8(level);
      break;  // set priority
    case 7:
      end_of_interrupt(level, true);
      break;  // rotate on specific EOI
  }
}

void Pic8259::end_of_interrupt(unsigned level, bool rotate) {
  isr_ &= u8(~(1u << level));
  if (rotate) lowest_ = u8(level);
}

void Pic8259::write_ocw3(u8 value) {
  if (value & 0x04) poll_ = true;
  if (value & 0x02) read_isr_ = value & 0x01;
  if (value & 0x40) special_mask_ = value & 0x20;
}

void Pic8259::serialize(Serializer& s) {
  s(lines_);
  s(edge_);
  s(isr_);
  s(imr_);
  s(elcr_);
  s(icw1_);
  s(icw2_);
  s(icw3_);
  s(icw4_);
  s(init_step_);
  s(lowest_);
  s.flag(special_mask_);
  s.flag(read_isr_);
  s.flag(poll_);
  s.flag(rotate_aeoi_);
  if (s.saving()) return;
  // A damaged snapshot must not leave the chip outside its states.
  lowest_ &= 7;
  icw4_ &= kIcw4Mask;
  if (init_step_ != 2 && init_step_ != 3 && init_step_ != 4) init_step_ = 0;
}

Pic8259View Pic8259::view() const {
  Pic8259View v;
  v.irr = irr();
  v.isr = isr_;
  v.imr = imr_;
  v.lines = lines_;
  v.level_mode = level_pins();
  v.vector_base = u8(icw2_ & 0xf8);
  v.icw1 = icw1_;
  v.icw3 = icw3_;
  v.icw4 = icw4_;
  v.init_step = init_step_;
  v.lowest_priority = lowest_;
  v.special_mask = special_mask_;
  v.read_isr = read_isr_;
  v.poll_pending = poll_;
  v.rotate_in_aeoi = rotate_aeoi_;
  v.intr = intr();
  return v;
}

}  // namespace vtlab

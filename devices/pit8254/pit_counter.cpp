#include "devices/pit8254/pit_counter.h"

namespace vtlab {

void PitCounter::reset() { *this = PitCounter(); }

unsigned PitCounter::mode() const {
  unsigned m = (control_ >> 1) & 7;
  return m >= 6 ? m - 4 : m;  // 110 and 111 are modes 2 and 3
}

// A BCD count with a digit above 9 counts each digit at its binary value
// (0x00a0 counts as 100); a sum above 9999 wraps, and 0 is 10^4.
u32 PitCounter::count_units() const {
  u32 n = cr_;
  if (bcd()) {
    n = 0;
    for (u32 i = 0, weight = 1; i < 4; ++i, weight *= 10) n += ((cr_ >> (4 * i)) & 0xf) * weight;
    n %= 10000;
  }
  return n ? n : modulus();
}

i64 PitCounter::elapsed(u64 c) const {
  if (!armed_) return -1;
  if (frozen_) return i64(frozen_k_);
  const Segment s = segment_at(c);
  if (c < s.load) return -1;
  return i64(c - s.load + s.offset);
}

u32 PitCounter::value_at(u64 c) const {
  const i64 k = elapsed(c);
  if (k < 0) return pre_value_;
  const Segment s = frozen_ ? seg_ : segment_at(c);
  const u64 uk = u64(k);
  const u32 n = s.n, m = modulus();
  switch (mode()) {
    case 2:
      return n - u32(uk % n);
    case 3: {
      const u32 high = (n + 1) / 2, j = u32(uk % n), start = n & ~1u;  // an odd count loads N-1
      return j < high ? start - 2 * j : start - 2 * (j - high);
    }
    default:
      return u32((u64(n) + m - uk % m) % m);  // modes 0, 1, 4, 5: down by one, wrapping
  }
}

bool PitCounter::out(u64 c) const {
  const i64 k = elapsed(c);
  if (k < 0) return pre_out_;
  const unsigned m = mode();
  if (frozen_ && (m == 2 || m == 3)) return true;  // GATE low forces OUT high
  const Segment s = frozen_ ? seg_ : segment_at(c);
  const u64 uk = u64(k), n = s.n;
  switch (m) {
    case 0:
    case 1:
      return uk >= n;
    case 2:
      return uk % n != n - 1;
    case 3:
      return uk % n < (n + 1) / 2;
    default:
      return uk != n;  // modes 4, 5: a one-clock strobe
  }
}

u64 PitCounter::next_out_change(u64 c) const {
  if (!armed_ || frozen_) return kNever;
  const Segment s = segment_at(c);
  u64 from = c;
  if (c < s.load) {
    if (out(s.load) != out(c)) return s.load;
    from = s.load;
  }
  const u64 k = from - s.load + s.offset, n = s.n;
  u64 kc = kNever;
  switch (mode()) {
    case 0:
    case 1:
      if (k < n) kc = n;
      break;
    case 2:
      if (n > 1) kc = k % n < n - 1 ? k + (n - 1 - k % n) : k + 1;
      break;
    case 3: {
      const u64 high = (n + 1) / 2;
      if (n > high) kc = k % n < high ? k + (high - k % n) : k + (n - k % n);
      break;
    }
    default:
      if (k < n)
        kc = n;
      else if (k == n)
        kc = n + 1;
      break;
  }
  u64 at = kc == kNever ? kNever : s.load + (kc - s.offset);
  if (pending_ && c < pending_seg_.load && pending_seg_.load < at) at = pending_seg_.load;
  return at;
}

u16 PitCounter::read_value(u64 c) const {
  const u32 v = value_at(c);
  if (!bcd()) return u16(v);
  u32 d = v % 10000;
  return u16((d / 1000) << 12 | (d / 100 % 10) << 8 | (d / 10 % 10) << 4 | d % 10);
}

u8 PitCounter::status(u64 c) const {
  return u8((out(c) ? 0x80 : 0) | (c < transfer_clock_ ? 0x40 : 0) | (control_ & 0x3f));
}

void PitCounter::sync(u64 c) {
  if (pending_ && c >= pending_seg_.load) {
    seg_ = pending_seg_;
    pending_ = false;
  }
}

void PitCounter::arm(u32 n, u64 load, u32 offset, u64 c) {
  pre_value_ = value_at(c);
  pre_out_ = out(c);
  armed_ = true;
  frozen_ = false;
  pending_ = false;
  seg_ = Segment{load, n, offset};
  transfer_clock_ = load;
}

void PitCounter::hold(u64 c) {
  if (!armed_ || frozen_) return;
  const i64 k = elapsed(c);
  seg_ = segment_at(c);
  pending_ = false;
  frozen_k_ = k < 0 ? seg_.offset : u64(k);
  frozen_ = true;
}

void PitCounter::write_control(u8 control, u64 c) {
  sync(c);
  // "All control logic is immediately reset and OUT goes to a known initial
  // state": low in mode 0, high otherwise. The counter stops at its value
  // until a count is written.
  pre_value_ = value_at(c);
  control_ = control & 0x3f;
  pre_out_ = mode() != 0;
  armed_ = frozen_ = pending_ = false;
  cr_valid_ = write_msb_next_ = read_msb_next_ = false;
  count_latched_ = status_latched_ = false;
  transfer_clock_ = kNever;
}

void PitCounter::latch_count(u64 c) {
  if (count_latched_) return;  // the first latch holds until read
  latch_ = read_value(c);
  count_latched_ = true;
}

void PitCounter::latch_status(u64 c) {
  if (status_latched_) return;
  status_ = status(c);
  status_latched_ = true;
}

u8 PitCounter::read(u64 c) {
  if (status_latched_) {
    status_latched_ = false;
    return status_;
  }
  const u16 v = count_latched_ ? latch_ : read_value(c);
  bool msb = rw() == 2;
  if (rw() == 3) {
    msb = read_msb_next_;
    read_msb_next_ = !read_msb_next_;
  }
  if (count_latched_ && (rw() != 3 || msb)) count_latched_ = false;  // released after its last byte
  return msb ? u8(v >> 8) : u8(v);
}

void PitCounter::write(u8 value, u64 c) {
  sync(c);
  switch (rw()) {
    case 1:
      cr_ = value;
      break;
    case 2:
      cr_ = u16(value << 8);
      break;
    default:
      if (!write_msb_next_) {
        cr_lsb_ = value;
        write_msb_next_ = true;
        if (mode() == 0) {
          // Mode 0: the first byte stops counting and sets OUT low at once.
          pre_value_ = value_at(c);
          pre_out_ = false;
          armed_ = frozen_ = pending_ = false;
        }
        return;
      }
      write_msb_next_ = false;
      cr_ = u16(cr_lsb_ | value << 8);
      break;
  }
  cr_valid_ = true;
  count_written(c);
}

void PitCounter::count_written(u64 c) {
  const u32 n = count_units();
  switch (mode()) {
    case 0:
    case 4:
      // Loaded on the next CLK; with GATE low it waits there, not counting.
      arm(n, c + 1, 0, c);
      if (mode() == 0) pre_out_ = false;
      if (!gate_) {
        frozen_ = true;
        frozen_k_ = 0;
      }
      break;
    case 1:
    case 5:
      transfer_clock_ = kNever;  // loaded by the next GATE trigger
      break;
    default: {            // modes 2, 3
      if (!gate_) break;  // loaded when GATE rises
      if (!armed_) {
        arm(n, c + 1, 0, c);
        break;
      }
      const i64 k = elapsed(c);
      if (k < 0) {  // not loaded yet: this count is the one that loads
        seg_.n = n;
        break;
      }
      const Segment s = seg_;
      const u64 uk = u64(k);
      u64 boundary;
      u32 offset = 0;
      if (mode() == 2) {
        boundary = (uk / s.n + 1) * s.n;  // the next reload
      } else {
        const u64 high = (s.n + 1) / 2, j = uk % s.n;
        if (j < high) {
          boundary = uk + (high - j);  // end of the high half: the new count starts low
          offset = (n + 1) / 2;
        } else {
          boundary = uk + (s.n - j);
        }
      }
      pending_ = true;
      pending_seg_ = Segment{s.load + (boundary - s.offset), n, offset};
      transfer_clock_ = pending_seg_.load;
      break;
    }
  }
}

void PitCounter::set_gate(bool level, u64 c) {
  sync(c);
  if (level == gate_) return;
  gate_ = level;
  switch (mode()) {
    case 0:
    case 4:
      if (!armed_) break;
      if (!level) {
        hold(c);
      } else if (frozen_) {
        seg_.load = c + seg_.offset - frozen_k_;  // counting resumes with the next CLK
        frozen_ = false;
      }
      break;
    case 1:
    case 5:
      if (level && cr_valid_) arm(count_units(), c + 1, 0, c);  // trigger (retriggerable)
      break;
    default:  // modes 2, 3
      if (!level) {
        if (armed_)
          hold(c);
        else
          pre_out_ = true;
      } else if (cr_valid_) {
        arm(count_units(), c + 1, 0, c);  // reload on the next CLK
      }
      break;
  }
}

void PitCounter::serialize(Serializer& s) {
  s(control_);
  s(cr_);
  s.flag(cr_valid_);
  s(cr_lsb_);
  s.flag(write_msb_next_);
  s.flag(read_msb_next_);
  s(latch_);
  s.flag(count_latched_);
  s(status_);
  s.flag(status_latched_);
  s.flag(gate_);
  s.flag(armed_);
  s.flag(frozen_);
  s(frozen_k_);
  for (Segment* seg : {&seg_, &pending_seg_}) {
    s(seg->load);
    s(seg->n);
    s(seg->offset);
  }
  s.flag(pending_);
  s(pre_value_);
  s.flag(pre_out_);
  s(transfer_clock_);
  if (s.saving()) return;
  // A damaged snapshot: keep every divisor non-zero and every count within
  // what the counter can hold (the rest of the arithmetic wraps harmlessly).
  control_ &= 0x3f;
  if (rw() == 0) control_ |= 0x30;
  for (Segment* seg : {&seg_, &pending_seg_})
    if (seg->n == 0 || seg->n > 65536) seg->n = 65536;
}

PitCounterView PitCounter::view(u64 c) const {
  PitCounterView v;
  v.control = control_;
  v.mode = u8(mode());
  v.bcd = bcd();
  v.count_register = cr_;
  v.initial_count = cr_valid_ ? count_units() : 0;
  v.value = read_value(c);
  v.out = out(c);
  v.gate = gate_;
  v.null_count = c < transfer_clock_;
  v.counting = armed_ && !frozen_ && elapsed(c) >= 0;
  v.count_latched = count_latched_;
  v.status_latched = status_latched_;
  return v;
}

}  // namespace vtlab

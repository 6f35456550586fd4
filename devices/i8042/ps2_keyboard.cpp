#include "devices/i8042/ps2_keyboard.h"

namespace vtlab {

namespace {
constexpr u8 kSetLeds = 0xed, kEcho = 0xee, kScanCodeSet = 0xf0, kIdentify = 0xf2, kTypematic = 0xf3, kEnable = 0xf4,
             kDisable = 0xf5, kDefaults = 0xf6, kResendCmd = 0xfe, kReset = 0xff;
}

void Ps2Keyboard::reset() {
  const bool translated = translated_;
  *this = Ps2Keyboard();
  translated_ = translated;
}

void Ps2Keyboard::receive(u8 byte, Ps2Queue& out) {
  if (pending_) {
    // Parameters are below 0x80; a command byte in their place aborts the
    // waiting command and runs itself.
    if (byte < 0x80) return parameter(byte, out);
    pending_ = 0;
  }
  switch (byte) {
    case kSetLeds:
    case kTypematic:
    case kScanCodeSet:
      pending_ = byte;
      reply(out, kPs2Ack);
      break;
    case kEcho:
      reply(out, kEcho);
      break;
    case kIdentify:
      reply(out, kPs2Ack);
      reply(out, kIdFirst);
      reply(out, translated_ ? kIdSecondTranslated : kIdSecond);
      break;
    case kEnable:
      scanning_ = true;
      reply(out, kPs2Ack);
      break;
    case kDisable:
    case kDefaults:
      scanning_ = byte == kDefaults;
      typematic_ = 0x2b;
      reply(out, kPs2Ack);
      break;
    case kResendCmd:
      out.push(last_sent_);
      break;
    case kReset:
      reset();
      reply(out, kPs2Ack);
      reply(out, kPs2SelfTestPassed);
      break;
    default:
      reply(out, kPs2Resend);
      break;
  }
}

void Ps2Keyboard::parameter(u8 byte, Ps2Queue& out) {
  const u8 command = pending_;
  pending_ = 0;
  if (command == kSetLeds) {
    leds_ = byte & 0x07;
  } else if (command == kTypematic) {
    typematic_ = byte & 0x7f;
  } else if (byte == 0) {  // scan code set query
    reply(out, kPs2Ack);
    reply(out, set_);
    return;
  } else if (byte <= 3) {
    set_ = byte;
  } else {
    reply(out, kPs2Resend);
    return;
  }
  reply(out, kPs2Ack);
}

void Ps2Keyboard::serialize(Serializer& s) {
  s.flag(translated_);
  s.flag(scanning_);
  s(set_);
  s(leds_);
  s(typematic_);
  s(pending_);
  s(last_sent_);
}

Ps2KeyboardView Ps2Keyboard::view() const { return {scanning_, set_, leds_, typematic_, pending_}; }

}  // namespace vtlab

#include "devices/i8042/ps2_mouse.h"

namespace vtlab {

namespace {
constexpr u8 kScaling11 = 0xe6, kScaling21 = 0xe7, kSetResolution = 0xe8, kStatus = 0xe9, kStreamMode = 0xea,
             kReadData = 0xeb, kResetWrap = 0xec, kWrapMode = 0xee, kRemoteMode = 0xf0, kGetId = 0xf2,
             kSampleRate = 0xf3, kEnable = 0xf4, kDisable = 0xf5, kDefaults = 0xf6, kResendCmd = 0xfe, kReset = 0xff;
constexpr u8 kPacketAlwaysOne = 0x08;  // bit 3 of a packet's first byte
}  // namespace

void Ps2Mouse::set_defaults() {
  reporting_ = scaling_ = false;
  resolution_ = 2;
  rate_ = 100;
}

void Ps2Mouse::receive(u8 byte, Ps2Queue& out) {
  if (wrap_ && byte != kResetWrap && byte != kReset) {
    reply(out, byte);
    return;
  }
  if (pending_) {
    const u8 command = pending_;
    pending_ = 0;
    if (command == kSampleRate)
      rate_ = byte;
    else
      resolution_ = byte & 3;
    reply(out, kPs2Ack);
    return;
  }
  switch (byte) {
    case kScaling11:
    case kScaling21:
      scaling_ = byte == kScaling21;
      reply(out, kPs2Ack);
      break;
    case kSetResolution:
    case kSampleRate:
      pending_ = byte;
      reply(out, kPs2Ack);
      break;
    case kStatus:
      reply(out, kPs2Ack);
      reply(out, u8((remote_ ? 0x40 : 0) | (reporting_ ? 0x20 : 0) | (scaling_ ? 0x10 : 0)));
      reply(out, resolution_);
      reply(out, rate_);
      break;
    case kStreamMode:
    case kRemoteMode:
      remote_ = byte == kRemoteMode;
      reply(out, kPs2Ack);
      break;
    case kReadData:
      reply(out, kPs2Ack);
      reply(out, kPacketAlwaysOne);
      reply(out, 0);
      reply(out, 0);
      break;
    case kResetWrap:
    case kWrapMode:
      wrap_ = byte == kWrapMode;
      reply(out, kPs2Ack);
      break;
    case kGetId:
      reply(out, kPs2Ack);
      reply(out, kDeviceId);
      break;
    case kEnable:
    case kDisable:
      reporting_ = byte == kEnable;
      reply(out, kPs2Ack);
      break;
    case kDefaults:
      set_defaults();
      reply(out, kPs2Ack);
      break;
    case kResendCmd:
      out.push(last_sent_);
      break;
    case kReset:
      reset();
      reply(out, kPs2Ack);
      reply(out, kPs2SelfTestPassed);
      reply(out, kDeviceId);
      break;
    default:
      reply(out, kPs2Resend);
      break;
  }
}

void Ps2Mouse::serialize(Serializer& s) {
  s.flag(reporting_);
  s.flag(remote_);
  s.flag(wrap_);
  s.flag(scaling_);
  s(resolution_);
  s(rate_);
  s(pending_);
  s(last_sent_);
  if (!s.saving()) resolution_ &= 3;
}

Ps2MouseView Ps2Mouse::view() const { return {reporting_, remote_, wrap_, scaling_, resolution_, rate_, pending_}; }

}  // namespace vtlab

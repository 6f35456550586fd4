// Register offsets and bits of the 16550A UART, as named in the National
// Semiconductor PC16550D and TI TL16C550 datasheets ("Register Summary").
#pragma once
#include <array>

#include "core/base/types.h"

namespace vtlab::uart16550 {

inline constexpr u16 kCom1Base = 0x3f8;
inline constexpr unsigned kCom1Irq = 4;
inline constexpr unsigned kPortCount = 8;

// Offsets from the base port. With LCR.DLAB = 1, offsets 0 and 1 reach the
// divisor latch (DLL/DLM) instead of RBR/THR and IER.
enum Offset : unsigned {
  kRbrThr = 0,  // read: receiver buffer; write: transmitter holding
  kIer = 1,
  kIirFcr = 2,  // read: interrupt identification; write: FIFO control
  kLcr = 3,
  kMcr = 4,
  kLsr = 5,
  kMsr = 6,
  kScr = 7,
};

// IER: interrupt enables (bits 7:4 read as 0 on the 16550A).
inline constexpr u8 kIerRxData = 0x01;       // ERBFI: data available / char timeout
inline constexpr u8 kIerThrEmpty = 0x02;     // ETBEI
inline constexpr u8 kIerLineStatus = 0x04;   // ELSI
inline constexpr u8 kIerModemStatus = 0x08;  // EDSSI
inline constexpr u8 kIerMask = 0x0f;

// IIR: bit 0 = 0 when an interrupt is pending; bits 3:1 name the source;
// bits 7:6 = 11 when the FIFOs are enabled (16550A; a plain 16550 gives 10).
inline constexpr u8 kIirNone = 0x01;
inline constexpr u8 kIirModemStatus = 0x00;
inline constexpr u8 kIirThrEmpty = 0x02;
inline constexpr u8 kIirRxData = 0x04;
inline constexpr u8 kIirLineStatus = 0x06;
inline constexpr u8 kIirCharTimeout = 0x0c;
inline constexpr u8 kIirFifosEnabled = 0xc0;

// FCR: write only.
inline constexpr u8 kFcrEnable = 0x01;
inline constexpr u8 kFcrClearRx = 0x02;
inline constexpr u8 kFcrClearTx = 0x04;
inline constexpr u8 kFcrDmaMode = 0x08;
inline constexpr unsigned kFcrTriggerShift = 6;
// Receiver FIFO trigger levels selected by FCR bits 7:6.
inline constexpr std::array<u8, 4> kRxTriggerLevels = {1, 4, 8, 14};

// LCR.
inline constexpr u8 kLcrWordLengthMask = 0x03;  // 5 + value data bits
inline constexpr u8 kLcrTwoStopBits = 0x04;     // 1.5 stop bits with 5-bit words
inline constexpr u8 kLcrParityEnable = 0x08;
inline constexpr u8 kLcrEvenParity = 0x10;
inline constexpr u8 kLcrStickParity = 0x20;
inline constexpr u8 kLcrBreak = 0x40;
inline constexpr u8 kLcrDlab = 0x80;

// MCR (bits 7:5 read as 0).
inline constexpr u8 kMcrDtr = 0x01;
inline constexpr u8 kMcrRts = 0x02;
inline constexpr u8 kMcrOut1 = 0x04;
inline constexpr u8 kMcrOut2 = 0x08;
inline constexpr u8 kMcrLoopback = 0x10;
inline constexpr u8 kMcrMask = 0x1f;

// LSR.
inline constexpr u8 kLsrDataReady = 0x01;
inline constexpr u8 kLsrOverrun = 0x02;
inline constexpr u8 kLsrParityError = 0x04;
inline constexpr u8 kLsrFramingError = 0x08;
inline constexpr u8 kLsrBreak = 0x10;
inline constexpr u8 kLsrThrEmpty = 0x20;
inline constexpr u8 kLsrTxEmpty = 0x40;
inline constexpr u8 kLsrFifoError = 0x80;
// Errors that belong to one received character (kept with it in the FIFO).
inline constexpr u8 kLsrCharErrors = kLsrParityError | kLsrFramingError | kLsrBreak;
// Errors that raise the receiver line status interrupt; cleared by reading LSR.
inline constexpr u8 kLsrLineErrors = kLsrOverrun | kLsrCharErrors;

// MSR: bits 3:0 are deltas since the last MSR read, 7:4 the input levels.
inline constexpr u8 kMsrDeltaCts = 0x01;
inline constexpr u8 kMsrDeltaDsr = 0x02;
inline constexpr u8 kMsrTrailingRi = 0x04;  // RI went from 1 to 0
inline constexpr u8 kMsrDeltaDcd = 0x08;
inline constexpr u8 kMsrCts = 0x10;
inline constexpr u8 kMsrDsr = 0x20;
inline constexpr u8 kMsrRi = 0x40;
inline constexpr u8 kMsrDcd = 0x80;
inline constexpr u8 kMsrDeltaMask = 0x0f;

inline constexpr unsigned kFifoDepth = 16;
// The PC's 1.8432 MHz crystal: baud = kClockHz / (16 * divisor).
inline constexpr u64 kClockHz = 1'843'200;

}  // namespace vtlab::uart16550

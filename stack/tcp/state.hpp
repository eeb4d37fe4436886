// The eleven connection states of RFC 9293 3.3.2, with their RFC names for logs and tables.
#pragma once

#include <cstdint>
#include <string_view>

namespace tundra::tcp {

enum class State : uint8_t {
  Closed,
  Listen,
  SynSent,
  SynReceived,
  Established,
  FinWait1,
  FinWait2,
  CloseWait,
  Closing,
  LastAck,
  TimeWait,
};

constexpr std::string_view to_string(State s) {
  switch (s) {
    case State::Closed:
      return "CLOSED";
    case State::Listen:
      return "LISTEN";
    case State::SynSent:
      return "SYN-SENT";
    case State::SynReceived:
      return "SYN-RECEIVED";
    case State::Established:
      return "ESTABLISHED";
    case State::FinWait1:
      return "FIN-WAIT-1";
    case State::FinWait2:
      return "FIN-WAIT-2";
    case State::CloseWait:
      return "CLOSE-WAIT";
    case State::Closing:
      return "CLOSING";
    case State::LastAck:
      return "LAST-ACK";
    case State::TimeWait:
      return "TIME-WAIT";
  }
  return "?";
}

// RFC 9293 3.3.1: states in which both sides have exchanged SYNs.
constexpr bool synchronized(State s) {
  return s != State::Closed && s != State::Listen && s != State::SynSent && s != State::SynReceived;
}

}  // namespace tundra::tcp

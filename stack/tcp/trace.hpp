// TCP event trace: what a connection did, one event at a time — segments sent and received, state
// changes, RTT samples, timeouts, fast retransmits, congestion window changes — each with the
// connection's congestion state at that moment. Connections report to a TraceSink the layer hands
// them (none by default: then tracing costs one pointer test per event). The CSV rendering lives
// here so every program writes the same format, which scripts/plot-tcp and the labs read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/time.hpp"
#include "stack/tcp/state.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::tcp {

struct FourTuple;

enum class TraceKind : uint8_t {
  Send,              // a segment went out (detail "rexmit" for a retransmission)
  Recv,              // a segment arrived for the connection (checksum already verified)
  State,             // the state changed (state: the new one; detail "from=OLD")
  Rtt,               // an RTT sample was taken (sample_ms) and SRTT/RTTVAR/RTO updated
  Rto,               // the retransmission timer fired (rto_ms: the backed-off RTO)
  FastRetransmit,    // repaired before the timer: detail dupacks (the third, without SACK), rack
                     // (RACK found a loss), partial_ack (without SACK), lost_rexmit
  Tlp,               // RFC 8985 tail loss probe
  Persist,           // RFC 9293 3.8.6.1 zero-window probe
  DupAck,            // a duplicate ACK (RFC 5681 2) arrived
  Cwnd,              // cwnd or ssthresh changed
  RackLost,          // RFC 8985 6.2 marked segments lost (detail: how many); seq is SND.UNA
  SpuriousRto,       // the ACK after a timeout echoes a timestamp from before its retransmission
                     // (RFC 3522): the data had arrived; the reduction is undone (RFC 4015)
  SpuriousRecovery,  // every segment a fast recovery resent came back as a duplicate (D-SACK,
                     // RFC 3708): they were only late; the reduction is undone
};

std::string_view to_string(TraceKind k);

// One event. Sequence numbers are relative, as Wireshark shows them: in the space they belong to
// (ours from ISS for what we send and what the peer acknowledges; the peer's from IRS for what it
// sends and what we acknowledge). Windows are in bytes, scaled.
struct TraceEvent {
  Instant time;
  TraceKind kind = TraceKind::Send;
  wire::ipv4::Address local_addr, remote_addr;
  uint16_t local_port = 0, remote_port = 0;
  // Segment fields (Send, Recv; seq also for FastRetransmit/Tlp/Persist, ack for DupAck).
  std::optional<uint32_t> seq, ack;
  size_t len = 0;
  uint8_t flags = 0;  // wire::tcp flag bits
  std::optional<size_t> window;
  // The connection's state after the event, and its congestion and timer state.
  State state = State::Closed;
  size_t cwnd = 0;
  std::optional<size_t> ssthresh;  // empty while "arbitrarily high" (RFC 5681 3.1)
  size_t inflight = 0;
  std::optional<Duration> srtt;
  Duration rttvar{0}, rto{0};
  std::optional<Duration> sample;  // Rtt
  std::string detail;              // no commas: "rexmit", "from=SYN-SENT", "sack=1000-2000"
};

// Where connections report events. Called on the stack's thread.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void record(const TraceEvent& e) = 0;
};

// The CSV header line (with a newline):
// time,conn,event,seq,ack,len,flags,win,state,cwnd,ssthresh,inflight,srtt_ms,rttvar_ms,rto_ms,
// sample_ms,detail
std::string_view trace_csv_header();
// Appends one CSV line (with a newline) for `e` to `out`. time is seconds on the stack's clock
// (6 decimals); conn is "LOCAL:PORT-REMOTE:PORT"; flags as tcpdump writes them ("S", "S.", "P.",
// "F.", "R", "."); empty fields where a value does not apply.
void append_trace_csv(const TraceEvent& e, std::string& out);

}  // namespace tundra::tcp

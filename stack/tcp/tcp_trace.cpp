// Connection tracing: turns what a connection does into TraceEvents for its TraceSink (trace.hpp).
// Called from input, output and timers only when a sink is set, so an untraced connection pays a
// pointer test per event and nothing else.
#include <fmt/format.h>

#include <iterator>
#include <limits>

#include "stack/tcp/connection.hpp"

namespace tundra::tcp {

namespace {

std::optional<size_t> finite(size_t ssthresh) {
  if (ssthresh == std::numeric_limits<size_t>::max()) return std::nullopt;
  return ssthresh;
}

}  // namespace

TraceEvent Connection::trace_event(TraceKind kind, Instant now) const {
  TraceEvent e;
  e.time = now;
  e.kind = kind;
  e.local_addr = tuple_.local_addr;
  e.local_port = tuple_.local_port;
  e.remote_addr = tuple_.remote_addr;
  e.remote_port = tuple_.remote_port;
  e.state = state_;
  e.cwnd = cc_->cwnd();
  e.ssthresh = finite(cc_->ssthresh());
  e.inflight = bytes_in_flight();
  e.srtt = rtt_.srtt();
  e.rttvar = rtt_.rttvar();
  e.rto = rtt_.rto();
  return e;
}

void Connection::trace(TraceKind kind, Instant now, std::optional<Seq> seq, std::string detail) {
  if (!trace_) return;
  TraceEvent e = trace_event(kind, now);
  if (seq) e.seq = static_cast<uint32_t>(distance(iss_, *seq));
  e.detail = std::move(detail);
  trace_->record(e);
}

void Connection::trace_segment(TraceKind kind, const wire::tcp::Repr& h, size_t len, Instant now,
                               bool retransmission) {
  if (!trace_) return;
  TraceEvent e = trace_event(kind, now);
  const bool sent = kind == TraceKind::Send;
  // Relative numbers in the space each belongs to: what we send counts from ISS and acknowledges
  // from IRS; what arrives the other way round. A SYN's own number is its space's origin.
  const Seq mine = sent ? iss_ : irs_;
  const Seq theirs = sent ? irs_ : iss_;
  // Before the peer's SYN (SYN-SENT) its numbers have no origin: left empty.
  if (h.flags.syn())
    e.seq = 0;
  else if (sent || irs_known_)
    e.seq = static_cast<uint32_t>(Seq(h.seq) - mine);
  if (h.flags.ack() && (!sent || irs_known_)) e.ack = static_cast<uint32_t>(Seq(h.ack) - theirs);
  e.len = len;
  e.flags = h.flags.bits();
  // RFC 7323 2.2: a SYN's window is never scaled.
  const uint8_t shift = h.flags.syn() ? 0 : (sent ? rcv_wscale_ : snd_wscale_);
  if (!h.flags.rst()) e.window = size_t{h.window} << shift;
  if (retransmission) e.detail = "rexmit";
  if (!sent && !h.options.sack.empty()) {
    // The blocks the peer holds, in our sequence space (RFC 2018 3).
    auto it = std::back_inserter(e.detail);
    fmt::format_to(it, "sack=");
    for (size_t i = 0; i < h.options.sack.size(); ++i)
      fmt::format_to(it, "{}{}-{}", i ? " " : "", distance(iss_, Seq(h.options.sack[i].left)),
                     distance(iss_, Seq(h.options.sack[i].right)));
  }
  trace_->record(e);
}

void Connection::trace_changes(Instant now) {
  if (state_ != traced_state_) {
    TraceEvent e = trace_event(TraceKind::State, now);
    e.detail = fmt::format("from={}", to_string(traced_state_));
    traced_state_ = state_;
    trace_->record(e);
  }
  if (cc_->cwnd() != traced_cwnd_ || cc_->ssthresh() != traced_ssthresh_) {
    traced_cwnd_ = cc_->cwnd();
    traced_ssthresh_ = cc_->ssthresh();
    trace_->record(trace_event(TraceKind::Cwnd, now));
  }
}

void Connection::trace_rtt(Duration sample, Instant now) {
  if (!trace_) return;
  TraceEvent e = trace_event(TraceKind::Rtt, now);
  e.sample = sample;
  trace_->record(e);
}

}  // namespace tundra::tcp

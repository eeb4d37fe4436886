// TCP event trace: event names and the CSV rendering that every program writes.
#include "stack/tcp/trace.hpp"

#include <fmt/format.h>

#include <iterator>

#include "stack/wire/tcp.hpp"

namespace tundra::tcp {

std::string_view to_string(TraceKind k) {
  switch (k) {
    case TraceKind::Send:
      return "send";
    case TraceKind::Recv:
      return "recv";
    case TraceKind::State:
      return "state";
    case TraceKind::Rtt:
      return "rtt";
    case TraceKind::Rto:
      return "rto";
    case TraceKind::FastRetransmit:
      return "fast_retransmit";
    case TraceKind::Tlp:
      return "tlp";
    case TraceKind::Persist:
      return "persist";
    case TraceKind::DupAck:
      return "dupack";
    case TraceKind::Cwnd:
      return "cwnd";
    case TraceKind::RackLost:
      return "rack_lost";
    case TraceKind::SpuriousRto:
      return "spurious_rto";
    case TraceKind::SpuriousRecovery:
      return "spurious_recovery";
  }
  return "?";
}

std::string_view trace_csv_header() {
  return "time,conn,event,seq,ack,len,flags,win,state,cwnd,ssthresh,inflight,srtt_ms,rttvar_ms,"
         "rto_ms,sample_ms,detail\n";
}

namespace {

// tcpdump's spelling: S, F, R, P in that order, then "." for ACK.
void append_flags(uint8_t bits, std::string& out) {
  const auto f = wire::tcp::Flags::from_bits(bits);
  if (f.syn()) out += 'S';
  if (f.fin()) out += 'F';
  if (f.rst()) out += 'R';
  if (f.psh()) out += 'P';
  if (f.ack()) out += '.';
}

void append_ms(std::optional<Duration> d, std::string& out) {
  if (d) fmt::format_to(std::back_inserter(out), "{:.3f}", static_cast<double>(d->count()) / 1e3);
}

}  // namespace

void append_trace_csv(const TraceEvent& e, std::string& out) {
  auto it = std::back_inserter(out);
  const int64_t us = e.time.micros();
  fmt::format_to(it, "{}{}.{:06},{}:{}-{}:{},{},", us < 0 ? "-" : "", (us < 0 ? -us : us) / 1000000,
                 (us < 0 ? -us : us) % 1000000, e.local_addr.to_string(), e.local_port,
                 e.remote_addr.to_string(), e.remote_port, to_string(e.kind));
  if (e.seq) fmt::format_to(it, "{}", *e.seq);
  out += ',';
  if (e.ack) fmt::format_to(it, "{}", *e.ack);
  out += ',';
  if (e.kind == TraceKind::Send || e.kind == TraceKind::Recv) {
    fmt::format_to(it, "{},", e.len);
    append_flags(e.flags, out);
  } else {
    out += ',';
  }
  out += ',';
  if (e.window) fmt::format_to(it, "{}", *e.window);
  fmt::format_to(it, ",{},{},", to_string(e.state), e.cwnd);
  if (e.ssthresh) fmt::format_to(it, "{}", *e.ssthresh);
  fmt::format_to(it, ",{},", e.inflight);
  append_ms(e.srtt, out);
  out += ',';
  append_ms(e.rttvar, out);
  out += ',';
  append_ms(e.rto, out);
  out += ',';
  append_ms(e.sample, out);
  out += ',';
  for (char c : e.detail)
    out += (c == ',' || c == '\n') ? ' ' : c;
  out += '\n';
}

}  // namespace tundra::tcp

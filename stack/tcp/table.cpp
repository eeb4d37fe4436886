// The connection table: copying a connection's numbers into a plain row.
#include "stack/tcp/table.hpp"

#include <algorithm>
#include <variant>

namespace tundra::tcp {

std::string_view to_string(TimerKind k) {
  switch (k) {
    case TimerKind::Idle:
      return "idle";
    case TimerKind::Retransmit:
      return "retransmit";
    case TimerKind::Probe:
      return "probe";
    case TimerKind::Reorder:
      return "reorder";
    case TimerKind::Persist:
      return "persist";
    case TimerKind::TimeWait:
      return "time-wait";
  }
  return "?";
}

namespace {

uint32_t relative(Seq base, Seq s) {
  return s.value() - base.value();  // modulo 2^32, like the sequence space
}

struct TimerVisitor {
  Instant now;
  ConnectionRow& row;
  void operator()(const timer::Idle&) const { row.timer = TimerKind::Idle; }
  void operator()(const timer::Retransmit& t) const {
    switch (t.then) {
      case timer::Retransmit::Then::Timeout:
        return set(TimerKind::Retransmit, t.at);
      case timer::Retransmit::Then::Probe:
        return set(TimerKind::Probe, t.at);
      case timer::Retransmit::Then::Reorder:
        return set(TimerKind::Reorder, t.at);
    }
  }
  void operator()(const timer::Persist& t) const { set(TimerKind::Persist, t.at); }
  void operator()(const timer::TimeWait& t) const { set(TimerKind::TimeWait, t.at); }
  void set(TimerKind k, Instant at) const {
    row.timer = k;
    row.timer_in = at > now ? at - now : Duration(0);
  }
};

}  // namespace

ConnectionRow connection_row(ConnId id, const Connection& c, Instant now) {
  ConnectionRow r;
  r.id = id;
  r.state = c.state();
  r.tuple = c.tuple();
  r.iss = c.iss().value();
  r.snd_una_rel = relative(c.iss(), c.snd_una());
  r.snd_nxt_rel = relative(c.iss(), c.snd_nxt());
  if (c.irs_known()) {
    r.irs = c.irs().value();
    r.rcv_nxt_rel = relative(c.irs(), c.rcv_nxt());
  }
  r.snd_wnd = c.snd_wnd();
  r.rcv_wnd = c.rcv_wnd();
  r.mss = c.mss();
  r.snd_wscale = c.snd_wscale();
  r.rcv_wscale = c.rcv_wscale();
  r.sack = c.sack_enabled();
  r.timestamps = c.timestamps_enabled();
  const CongestionControl& cc = c.congestion();
  r.cc = std::string(cc.name());
  r.cwnd = cc.cwnd();
  if (cc.ssthresh() < kInfiniteSsthresh) r.ssthresh = cc.ssthresh();
  r.in_recovery = cc.in_recovery();
  r.srtt = c.rtt().srtt();
  r.rttvar = c.rtt().rttvar();
  r.rto = c.rtt().rto();
  r.bytes_in_flight = c.bytes_in_flight();
  const ConnectionStats& s = c.stats();
  r.retransmits = s.retransmits;
  r.fast_retransmits = s.fast_retransmits;
  r.timeouts = s.timeouts;
  r.reordering_seen = c.rack().reordering_seen();
  r.reo_wnd = c.rack().reordering_window(false, r.srtt);
  r.dsacks_in = s.dsacks_in;
  r.segments_in = s.segments_in;
  r.segments_out = s.segments_out;
  r.bytes_in = s.bytes_in;
  r.bytes_out = s.bytes_out;
  r.send_queued = c.send_queued();
  r.recv_queued = c.recv_queued();
  r.age = now > c.opened_at() ? now - c.opened_at() : Duration(0);
  std::visit(TimerVisitor{now, r}, c.timer());
  return r;
}

Table snapshot(const Tcp& tcp, Instant now) {
  Table t;
  t.taken_at = now;
  t.connections.reserve(tcp.connection_count());
  tcp.for_each(
      [&](ConnId id, const Connection& c) { t.connections.push_back(connection_row(id, c, now)); });
  tcp.for_each_listener([&](ListenerId id, const Tcp::ListenerInfo& l) {
    t.listeners.push_back(ListenerRow{id, l.local, l.backlog, l.half_open, l.queued});
  });
  return t;
}

void order(Table& t) {
  std::sort(t.connections.begin(), t.connections.end(),
            [](const ConnectionRow& a, const ConnectionRow& b) { return a.id < b.id; });
  std::sort(t.listeners.begin(), t.listeners.end(),
            [](const ListenerRow& a, const ListenerRow& b) { return a.id < b.id; });
}

}  // namespace tundra::tcp

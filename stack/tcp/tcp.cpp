// The TCP layer: demux, listeners, resets for closed ports, timer order, slot lifetimes.
#include "stack/tcp/tcp.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>

namespace tundra::tcp {

namespace ipv4 = wire::ipv4;
using wire::tcp::Flag;
using wire::tcp::Flags;

size_t Tcp::TupleHash::operator()(const FourTuple& t) const {
  uint64_t h = uint64_t{t.local_addr.value()} << 32 | t.remote_addr.value();
  h ^= (uint64_t{t.local_port} << 16 | t.remote_port) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  return static_cast<size_t>(h * 0xbf58476d1ce4e5b9ull);
}

namespace {
std::array<uint8_t, 16> secret_from(uint64_t seed) {
  std::array<uint8_t, 16> k{};
  std::mt19937_64 g(seed ^ 0x7e57ab1e);
  for (size_t i = 0; i < k.size(); i += 8) {
    const uint64_t v = g();
    for (size_t j = 0; j < 8; ++j)
      k[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return k;
}
}  // namespace

Tcp::Tcp(ip::Ipv4& ip, TcpConfig config, uint64_t seed)
    : ip_(ip),
      config_(std::move(config)),
      isn_(secret_from(seed)),
      rng_(seed),
      challenge_budget_(config_.challenge_acks_per_second, config_.challenge_acks_per_second) {}

Tcp::~Tcp() = default;

Tcp::Entry* Tcp::entry(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second.get();
}

Connection* Tcp::find(ConnId id) {
  Entry* e = entry(id);
  return e ? &e->conn : nullptr;
}

const Connection* Tcp::find(ConnId id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second->conn;
}

ConnId Tcp::create(const FourTuple& tuple, Instant now) {
  // RFC 6528: the ISN from a keyed hash of the 4-tuple and a clock.
  const Seq iss =
      isn_.generate(tuple.local_addr, tuple.local_port, tuple.remote_addr, tuple.remote_port, now);
  const ConnId id = next_conn_++;
  auto e = std::make_unique<Entry>(config_, tuple, iss, ip_.mtu());
  e->conn.set_challenge_budget(&challenge_budget_);
  e->conn.set_trace(trace_);
  demux_[tuple] = id;
  conns_.emplace(id, std::move(e));
  return id;
}

bool Tcp::port_in_use(uint16_t port) const {
  if (listen_ports_.contains(port)) return true;
  for (const auto& [tuple, id] : demux_)
    if (tuple.local_port == port) return true;
  return false;
}

std::optional<uint16_t> Tcp::ephemeral_port(ipv4::Address remote, uint16_t remote_port) {
  const uint32_t span = uint32_t{config_.ephemeral_last} - config_.ephemeral_first + 1;
  // RFC 6056 3.3.1: a random starting point, then the next free port for this destination.
  const uint32_t start = static_cast<uint32_t>(rng_() % span);
  for (uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<uint16_t>(config_.ephemeral_first + (start + i) % span);
    if (listen_ports_.contains(port)) continue;
    if (demux_.contains(FourTuple{ip_.address(), port, remote, remote_port})) continue;
    return port;
  }
  return std::nullopt;
}

Result<ConnId, int> Tcp::connect(std::optional<Endpoint> local, Endpoint remote, Instant now) {
  if (remote.address.is_unspecified() || remote.address.is_broadcast() ||
      remote.address.is_multicast() || ip_.is_broadcast(remote.address))
    return Err{remote.address.is_unspecified() ? ECONNREFUSED : ENETUNREACH};
  if (remote.port == 0) return Err{ECONNREFUSED};
  if (!ip_.routes().lookup(remote.address)) return Err{ENETUNREACH};
  uint16_t port = local ? local->port : 0;
  if (port == 0) {
    auto p = ephemeral_port(remote.address, remote.port);
    if (!p) return Err{EADDRNOTAVAIL};
    port = *p;
  }
  const FourTuple tuple{ip_.address(), port, remote.address, remote.port};
  if (demux_.contains(tuple)) return Err{EADDRINUSE};
  const ConnId id = create(tuple, now);
  Entry& ref = *entry(id);
  ref.app_owned = true;
  ++counters_.active_opens;
  ref.conn.open(now, *this);
  after(id, now);
  return id;
}

Result<ListenerId, int> Tcp::listen(Endpoint local, int backlog) {
  if (!local.address.is_unspecified() && local.address != ip_.address()) return Err{EADDRNOTAVAIL};
  if (local.port == 0) return Err{EINVAL};
  if (listen_ports_.contains(local.port)) return Err{EADDRINUSE};
  const ListenerId id = next_listener_++;
  Listener l;
  l.local = local;
  // As Linux: a backlog of 0 or less still admits one, and it is capped at somaxconn (4096).
  l.backlog = static_cast<size_t>(std::clamp(backlog, 1, 4096));
  listeners_[id] = std::move(l);
  listen_ports_[local.port] = id;
  return id;
}

bool Tcp::listener_exists(ListenerId id) const {
  return listeners_.contains(id);
}

std::optional<Endpoint> Tcp::listener_endpoint(ListenerId id) const {
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return std::nullopt;
  return it->second.local;
}

bool Tcp::acceptable(ListenerId id) const {
  auto it = listeners_.find(id);
  return it != listeners_.end() && !it->second.accept_queue.empty();
}

std::optional<ConnId> Tcp::accept(ListenerId id) {
  auto it = listeners_.find(id);
  if (it == listeners_.end() || it->second.accept_queue.empty()) return std::nullopt;
  const ConnId c = it->second.accept_queue.front();
  it->second.accept_queue.pop_front();
  Entry* e = entry(c);
  if (!e) return std::nullopt;
  e->queued = false;
  e->listener.reset();
  e->app_owned = true;
  return c;
}

void Tcp::close_listener(ListenerId id, Instant now) {
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return;
  listen_ports_.erase(it->second.local.port);
  // Connections nobody accepted are reset, as the kernel does on close of a listening socket.
  std::vector<ConnId> orphans;
  for (const auto& [cid, e] : conns_)
    if (e->listener == id) orphans.push_back(cid);
  listeners_.erase(it);
  for (ConnId cid : orphans) {
    Entry* e = entry(cid);
    e->listener.reset();
    e->queued = false;
    e->conn.abort(now, *this);
    after(cid, now);
  }
}

void Tcp::release(ConnId id, bool abort, Instant now) {
  Entry* e = entry(id);
  if (!e) return;
  e->app_owned = false;
  if (abort)
    e->conn.abort(now, *this);
  else
    e->conn.close(now, *this);
  after(id, now);
}

void Tcp::touch(ConnId id) {
  if (std::find(dirty_.begin(), dirty_.end(), id) == dirty_.end()) dirty_.push_back(id);
}

void Tcp::push(ConnId id, Instant now) {
  if (Entry* e = entry(id)) {
    e->conn.output(now, *this);
    after(id, now);
  }
}

Tcp::Listener* Tcp::listener_for(ipv4::Address dst, uint16_t port, ListenerId* id) {
  auto it = listen_ports_.find(port);
  if (it == listen_ports_.end()) return nullptr;
  Listener& l = listeners_.at(it->second);
  if (!l.local.address.is_unspecified() && l.local.address != dst) return nullptr;
  *id = it->second;
  return &l;
}

void Tcp::send_reset_for(const ipv4::Repr& ip, const wire::tcp::Repr& seg, size_t payload_len,
                         Instant now) {
  // RFC 9293 3.10.7.1: never answer a RST; with ACK, <SEQ=SEG.ACK><CTL=RST>; without,
  // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  if (seg.flags.rst()) return;
  wire::tcp::Repr r{};
  r.src_port = seg.dst_port;
  r.dst_port = seg.src_port;
  if (seg.flags.ack()) {
    r.seq = seg.ack;
    r.flags = Flags(Flag::Rst);
  } else {
    const size_t len = payload_len + (seg.flags.syn() ? 1 : 0) + (seg.flags.fin() ? 1 : 0);
    r.ack = seg.seq + static_cast<uint32_t>(len);
    r.flags = Flags(Flag::Rst) | Flags(Flag::Ack);
  }
  ++counters_.resets_sent;
  send(FourTuple{ip.dst, seg.dst_port, ip.src, seg.src_port},
       OutSegment{r, PacketBuffer::with_capacity(0)}, now);
}

void Tcp::input(const ipv4::Repr& ip_header, PacketBuffer& segment, Instant now) {
  ++counters_.segments_in;
  auto parsed = wire::tcp::Repr::parse(segment.bytes(), ip_header.src, ip_header.dst,
                                       !segment.offload().checksum_unnecessary);
  if (!parsed) {
    if (parsed.error() == wire::tcp::Error::BadChecksum)
      ++counters_.bad_checksum;
    else
      ++counters_.malformed;
    return;
  }
  const wire::tcp::Repr& seg = *parsed;
  if (seg.flags.rst()) ++counters_.resets_in;
  // A segment to or from a broadcast or multicast address is never TCP's (RFC 9293 3.9.1.2).
  if (ip_.is_broadcast(ip_header.dst) || ip_header.dst.is_multicast()) return;
  const auto payload = segment.bytes().subspan(seg.header_len(), seg.payload_len);
  const FourTuple tuple{ip_header.dst, seg.dst_port, ip_header.src, seg.src_port};

  if (auto it = demux_.find(tuple); it != demux_.end()) {
    const ConnId id = it->second;
    Entry* e = entry(id);
    // A new SYN for a tuple in TIME-WAIT with a higher sequence number starts a new connection
    // (as BSD and Linux allow; RFC 9293 3.10.7.4 TIME-WAIT leaves this to the implementation).
    const bool recycle = e->conn.state() == State::TimeWait && seg.flags.syn() &&
                         !seg.flags.ack() && Seq(seg.seq) > e->conn.rcv_nxt();
    if (!recycle) {
      e->conn.set_coalescing(batching_);
      e->conn.input(seg, payload, now, *this, &segment);
      if (segment.capacity() == 0) ++counters_.kept_in;  // its buffer went to the receive queue
      e->conn.set_coalescing(false);
      if (e->conn.deferred_ack()) touch(id);  // poll() sends it once the batch is read
      after(id, now);
      return;
    }
    ++counters_.time_wait_recycled;
    remove(id);
  }

  ListenerId lid = 0;
  Listener* l = listener_for(ip_header.dst, seg.dst_port, &lid);
  if (!l) {
    ++counters_.no_connection;
    send_reset_for(ip_header, seg, payload.size(), now);
    return;
  }
  // RFC 9293 3.10.7.2 (LISTEN): RST ignored; ACK answered with RST; SYN opens a connection.
  if (seg.flags.rst()) return;
  if (seg.flags.ack()) {
    send_reset_for(ip_header, seg, payload.size(), now);
    return;
  }
  if (!seg.flags.syn()) return;
  if (l->half_open >= config_.syn_queue) {
    ++counters_.syn_queue_full;
    return;
  }
  if (l->accept_queue.size() >= l->backlog) {
    ++counters_.accept_queue_full;
    return;  // the peer's SYN retransmission will try again, as with Linux's full queue
  }
  const ConnId id = create(tuple, now);
  Entry& ref = *entry(id);
  ref.listener = lid;
  ++l->half_open;
  ++counters_.passive_opens;
  ref.conn.accept_syn(seg, now, *this);
  ref.last_state = State::SynReceived;
  after(id, now);
}

void Tcp::after(ConnId id, Instant /*now*/) {
  Entry* e = entry(id);
  if (!e) return;
  Connection& c = e->conn;
  const State before = e->last_state;
  const State st = c.state();
  if (before == State::SynReceived && st != State::SynReceived && e->listener) {
    auto lit = listeners_.find(*e->listener);
    if (lit != listeners_.end()) {
      --lit->second.half_open;
      if (synchronized(st)) {
        lit->second.accept_queue.push_back(id);
        e->queued = true;
      }
    }
  }
  if (st == State::TimeWait && before != State::TimeWait) {
    time_wait_.push_back(id);
    // Cap TIME-WAIT entries: the oldest give way (their 4-tuples become reusable early).
    while (time_wait_.size() > config_.max_time_wait) {
      const ConnId old = time_wait_.front();
      time_wait_.pop_front();
      Entry* oe = entry(old);
      if (oe && oe->conn.state() == State::TimeWait && old != id) {
        ++counters_.time_wait_recycled;
        remove(old);
      }
    }
  }
  if ((before == State::Established || before == State::CloseWait) && st == State::Closed &&
      c.error() == ECONNRESET)
    ++counters_.established_resets;
  e->last_state = st;
  if (c.finished()) {
    // Fold its stats into the layer's once: an entry the application still holds stays in
    // conns_, and report() counts only those not folded yet.
    if (!e->counted) fold_stats(*e);
    const bool owned_by_app = e->app_owned;
    if (e->listener && !e->queued) {
      remove(id);  // half-open, never reached the application
      return;
    }
    if (!owned_by_app && !e->queued) {
      remove(id);
      return;
    }
    // The application (or the accept queue) still refers to it: keep the slot, drop its timer
    // and its 4-tuple, so a new connection may use the tuple.
    if (e->scheduled) timers_.erase({*e->scheduled, id});
    e->scheduled.reset();
    if (auto it = demux_.find(c.tuple()); it != demux_.end() && it->second == id) demux_.erase(it);
    return;
  }
  reschedule(id, *e);
}

void Tcp::fold_stats(Entry& e) {
  const ConnectionStats& s = e.conn.stats();
  counters_.retransmits += s.retransmits;
  counters_.timeouts += s.timeouts;
  counters_.fast_retransmits += s.fast_retransmits;
  counters_.rack_lost += s.rack_lost;
  counters_.spurious_timeouts += s.spurious_timeouts;
  counters_.dsacks_in += s.dsacks_in;
  counters_.reo_wnd_grown += s.reo_wnd_grown;
  counters_.spurious_recoveries += s.spurious_recoveries;
  counters_.zero_window_probes += s.zero_window_probes;
  counters_.out_of_order_in += s.out_of_order_in;
  counters_.duplicates_in += s.duplicates_in;
  counters_.not_stored_in += s.not_stored_in;
  e.counted = true;
}

void Tcp::reschedule(ConnId id, Entry& e) {
  const auto next = e.conn.poll_at();
  if (next == e.scheduled) return;
  if (e.scheduled) timers_.erase({*e.scheduled, id});
  e.scheduled = next;
  if (next) timers_.insert({*next, id});
}

void Tcp::remove(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Entry& e = *it->second;
  if (e.scheduled) timers_.erase({*e.scheduled, id});
  if (auto d = demux_.find(e.conn.tuple()); d != demux_.end() && d->second == id) demux_.erase(d);
  if (e.conn.time_wait_since()) {
    // Usually the oldest entry, so this finds it at once.
    if (auto t = std::find(time_wait_.begin(), time_wait_.end(), id); t != time_wait_.end())
      time_wait_.erase(t);
  }
  if (e.listener) {
    auto lit = listeners_.find(*e.listener);
    if (lit != listeners_.end()) {
      auto& q = lit->second.accept_queue;
      q.erase(std::remove(q.begin(), q.end(), id), q.end());
      if (e.conn.state() == State::SynReceived && lit->second.half_open > 0)
        --lit->second.half_open;
    }
  }
  conns_.erase(it);
}

void Tcp::poll(Instant now) {
  // The list swaps with a spare one that keeps its capacity: no allocation per round.
  std::vector<ConnId>& work = dirty_spare_;
  work.clear();
  work.swap(dirty_);
  for (ConnId id : work) {
    if (Entry* e = entry(id)) {
      e->conn.output(now, *this);
      after(id, now);
    }
  }
  // Timers in deadline order; each firing moves its connection's deadline on.
  for (size_t guard = timers_.size() + 16; guard > 0 && !timers_.empty(); --guard) {
    const auto [at, id] = *timers_.begin();
    if (at > now) break;
    timers_.erase(timers_.begin());
    Entry* e = entry(id);
    if (!e) continue;
    e->scheduled.reset();
    e->conn.on_timer(now, *this);
    after(id, now);
  }
}

std::optional<Instant> Tcp::poll_at() const {
  if (!dirty_.empty()) return Instant{};
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void Tcp::send(const FourTuple& tuple, OutSegment segment, Instant now) {
  ++counters_.segments_out;
  wire::tcp::Repr& h = segment.header;
  PacketBuffer& b = segment.payload;
  h.payload_len = b.size();
  b.prepend(h.header_len());
  h.emit(b.bytes(), tuple.local_addr, tuple.remote_addr, config_.checksum_offload);
  if (config_.checksum_offload) {
    b.offload().checksum_partial = true;
    b.offload().checksum_offset = wire::tcp::field::kChecksum;
  }
  ip::SendParams p;
  p.src = tuple.local_addr;
  p.dst = tuple.remote_addr;
  p.protocol = static_cast<uint8_t>(ipv4::Protocol::Tcp);
  p.dont_fragment = true;  // RFC 1191-style: segments are sized to the MTU already
  ip_.output(p, std::move(b), now);
}

void Tcp::report(CounterReport& out) const {
  const auto& c = counters_;
  uint64_t retransmits = c.retransmits, timeouts = c.timeouts, fast = c.fast_retransmits,
           probes = c.zero_window_probes, ooo = c.out_of_order_in, dups = c.duplicates_in,
           not_stored = c.not_stored_in, rack_lost = c.rack_lost, spurious = c.spurious_timeouts,
           dsacks = c.dsacks_in, reo_grown = c.reo_wnd_grown, spurious_rec = c.spurious_recoveries;
  for (const auto& [id, e] : conns_) {
    if (e->counted) continue;
    const ConnectionStats& s = e->conn.stats();
    retransmits += s.retransmits;
    timeouts += s.timeouts;
    fast += s.fast_retransmits;
    probes += s.zero_window_probes;
    ooo += s.out_of_order_in;
    dups += s.duplicates_in;
    not_stored += s.not_stored_in;
    rack_lost += s.rack_lost;
    spurious += s.spurious_timeouts;
    dsacks += s.dsacks_in;
    reo_grown += s.reo_wnd_grown;
    spurious_rec += s.spurious_recoveries;
  }
  CounterGroup g{"tcp", {}};
  g.add("active connection openings", c.active_opens);
  g.add("passive connection openings", c.passive_opens);
  g.add("connections established now",
        static_cast<uint64_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& kv) {
          return kv.second->conn.state() == State::Established ||
                 kv.second->conn.state() == State::CloseWait;
        })));
  g.add("connections in TIME-WAIT now",
        static_cast<uint64_t>(std::count_if(conns_.begin(), conns_.end(), [](const auto& kv) {
          return kv.second->conn.state() == State::TimeWait;
        })));
  g.add("connection resets while established", c.established_resets);
  g.add("segments received", c.segments_in);
  g.add("segments sent", c.segments_out);
  g.add("segments retransmitted", retransmits);
  g.add("retransmission timeouts", timeouts);
  g.add("retransmission timeouts found spurious (undone)", spurious);
  g.add("fast retransmits", fast);
  g.add("fast recoveries found spurious (undone)", spurious_rec);
  g.add("segments marked lost by RACK", rack_lost);
  g.add("ACKs reporting a duplicate (D-SACK)", dsacks);
  g.add("RACK reordering window grown (D-SACK rounds)", reo_grown);
  g.add("zero window probes sent", probes);
  g.add("segments received out of order", ooo);
  g.add("duplicate segments received (answered with D-SACK)", dups);
  g.add("segments received kept in their datagram (not copied)", c.kept_in);
  g.add("segments not stored (beyond the window, or too many holes)", not_stored);
  g.add("dropped: bad checksum", c.bad_checksum);
  g.add("dropped: malformed header", c.malformed);
  g.add("segments for no connection (answered with RST)", c.no_connection);
  g.add("resets sent for no connection", c.resets_sent);
  g.add("resets received", c.resets_in);
  g.add("SYNs dropped: SYN queue full", c.syn_queue_full);
  g.add("SYNs dropped: accept queue full", c.accept_queue_full);
  g.add("TIME-WAIT entries recycled early", c.time_wait_recycled);
  out.push_back(std::move(g));
}

}  // namespace tundra::tcp

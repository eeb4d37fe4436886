// UDP sockets: binding, demux by port, bounded queues in both directions.
#include "stack/udp/udp.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>

namespace tundra::udp {

namespace ipv4 = wire::ipv4;

Udp::Udp(ip::Ipv4& ip, UdpConfig config) : ip_(ip), config_(config), rng_(config.seed) {}

Udp::Socket* Udp::find(SocketId id) {
  auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : &it->second;
}
const Udp::Socket* Udp::find(SocketId id) const {
  auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : &it->second;
}

SocketId Udp::open() {
  const SocketId id = next_id_++;
  Socket& s = sockets_[id];
  s.rcvbuf = config_.rcvbuf;
  s.sndbuf = config_.sndbuf;
  return id;
}

std::optional<uint16_t> Udp::pick_ephemeral_port() {
  const uint32_t span = uint32_t{config_.ephemeral_last} - config_.ephemeral_first + 1;
  // RFC 6056 3.3.1: start the search at a random point of the range.
  const uint32_t start = static_cast<uint32_t>(rng_() % span);
  for (uint32_t i = 0; i < span; ++i) {
    const auto port = static_cast<uint16_t>(config_.ephemeral_first + (start + i) % span);
    if (!ports_.contains(port)) return port;
  }
  return std::nullopt;
}

int Udp::bind_locked(Socket& s, Endpoint local) {
  if (!local.address.is_unspecified() && local.address != ip_.address()) return EADDRNOTAVAIL;
  if (local.port == 0) {
    auto port = pick_ephemeral_port();
    if (!port) return EADDRINUSE;
    local.port = *port;
  } else if (ports_.contains(local.port)) {
    return EADDRINUSE;
  }
  s.local = local;
  return 0;
}

int Udp::bind(SocketId id, Endpoint local) {
  Socket* s = find(id);
  if (!s) return EBADF;
  if (s->local.port != 0) return EINVAL;  // already bound, as the kernel says
  const int err = bind_locked(*s, local);
  if (err == 0) ports_[s->local.port] = id;
  return err;
}

int Udp::connect(SocketId id, Endpoint peer) {
  Socket* s = find(id);
  if (!s) return EBADF;
  if (peer.port == 0) {
    s->peer.reset();
    return 0;
  }
  if (peer.address.is_unspecified()) return EINVAL;
  if (!ip_.routes().lookup(peer.address) && !ip_.is_broadcast(peer.address)) return ENETUNREACH;
  if (s->local.port == 0) {
    const int err = bind(id, Endpoint{});
    if (err) return err;
  }
  s->peer = peer;
  return 0;
}

Result<size_t, int> Udp::send_to(SocketId id, std::optional<Endpoint> dst,
                                 std::span<const std::byte> data) {
  Socket* s = find(id);
  if (!s) return Err{EBADF};
  if (!dst) {
    if (!s->peer) return Err{EDESTADDRREQ};
    dst = s->peer;
  } else if (s->peer && *dst != *s->peer) {
    return Err{EISCONN};
  }
  if (dst->port == 0 || dst->address.is_unspecified()) return Err{EINVAL};
  if (data.size() > kMaxPayload) return Err{EMSGSIZE};
  if (!ip_.routes().lookup(dst->address) && !ip_.is_broadcast(dst->address))
    return Err{ENETUNREACH};
  const size_t charge = data.size() + kDatagramOverhead;
  if (s->tx_bytes + charge > s->sndbuf && !s->tx.empty()) return Err{EAGAIN};
  if (s->local.port == 0) {
    const int err = bind(id, Endpoint{});
    if (err) return Err{err};
  }
  PacketBuffer b =
      PacketBuffer::with_capacity(wire::udp::kHeaderLen + data.size(), PacketBuffer::kHeadroom);
  b.append(wire::udp::kHeaderLen);
  b.append(data);
  s->tx.push_back(Outgoing{*dst, std::move(b)});
  s->tx_bytes += charge;
  if (!s->pending_hook.is_linked()) pending_.push_back(*s);
  return data.size();
}

std::optional<Datagram> Udp::receive(SocketId id) {
  Socket* s = find(id);
  if (!s || s->rx.empty()) return std::nullopt;
  Datagram d = std::move(s->rx.front());
  s->rx.pop_front();
  s->rx_bytes -= d.payload.size() + kDatagramOverhead;
  return d;
}

void Udp::close(SocketId id) {
  Socket* s = find(id);
  if (!s) return;
  if (s->local.port != 0) ports_.erase(s->local.port);
  sockets_.erase(id);  // the auto-unlink hook leaves the pending list by itself
}

bool Udp::readable(SocketId id) const {
  const Socket* s = find(id);
  return s && !s->rx.empty();
}

bool Udp::writable(SocketId id, size_t len) const {
  const Socket* s = find(id);
  return s && (s->tx.empty() || s->tx_bytes + len + kDatagramOverhead <= s->sndbuf);
}

std::optional<Endpoint> Udp::local(SocketId id) const {
  const Socket* s = find(id);
  if (!s) return std::nullopt;
  return s->local;
}

std::optional<Endpoint> Udp::peer(SocketId id) const {
  const Socket* s = find(id);
  if (!s) return std::nullopt;
  return s->peer;
}

int Udp::set_buffer(SocketId id, bool receive, size_t bytes) {
  Socket* s = find(id);
  if (!s) return EBADF;
  // As Linux does, a floor keeps a tiny buffer from refusing every datagram.
  bytes = std::max<size_t>(bytes, 2048);
  (receive ? s->rcvbuf : s->sndbuf) = bytes;
  return 0;
}

size_t Udp::buffer(SocketId id, bool receive) const {
  const Socket* s = find(id);
  return s ? (receive ? s->rcvbuf : s->sndbuf) : 0;
}

InputResult Udp::input(const ipv4::Repr& ip_header, PacketBuffer& datagram) {
  ++counters_.received;
  auto parsed = wire::udp::Repr::parse(datagram.bytes(), ip_header.src, ip_header.dst);
  if (!parsed) {
    switch (parsed.error()) {
      case wire::udp::Error::Truncated:
        ++counters_.truncated;
        break;
      case wire::udp::Error::BadLength:
        ++counters_.bad_length;
        break;
      case wire::udp::Error::BadChecksum:
        ++counters_.bad_checksum;
        break;
    }
    return InputResult::Malformed;
  }
  auto port = ports_.find(parsed->dst_port);
  Socket* s = port == ports_.end() ? nullptr : find(port->second);
  // A socket bound to a specific address takes only datagrams to that address; a connected one
  // only those from its peer (as BSD sockets do).
  const Endpoint from{ip_header.src, parsed->src_port};
  if (s && !s->local.address.is_unspecified() && s->local.address != ip_header.dst) s = nullptr;
  if (s && s->peer && *s->peer != from) s = nullptr;
  if (!s) {
    ++counters_.no_port;
    return InputResult::NoListener;
  }
  const size_t charge = parsed->payload_len + kDatagramOverhead;
  if (s->rx_bytes + charge > s->rcvbuf) {
    ++counters_.rcvbuf_full;
    return InputResult::QueueFull;
  }
  datagram.trim_front(wire::udp::kHeaderLen);
  s->rx.push_back(Datagram{from, std::move(datagram)});
  s->rx_bytes += charge;
  ++counters_.delivered;
  return InputResult::Delivered;
}

void Udp::poll(Instant now) {
  while (!pending_.empty()) {
    Socket& s = pending_.front();
    pending_.pop_front();
    while (!s.tx.empty()) {
      Outgoing out = std::move(s.tx.front());
      s.tx.pop_front();
      s.tx_bytes -= out.datagram.size() - wire::udp::kHeaderLen + kDatagramOverhead;
      const ipv4::Address src = s.local.address.is_unspecified() ? ip_.address() : s.local.address;
      wire::udp::Repr h{s.local.port, out.to.port, out.datagram.size() - wire::udp::kHeaderLen,
                        true};
      h.emit(out.datagram.bytes(), src, out.to.address);
      ip::SendParams p;
      p.src = src;
      p.dst = out.to.address;
      p.protocol = static_cast<uint8_t>(ipv4::Protocol::Udp);
      if (ip_.output(p, std::move(out.datagram), now))
        ++counters_.send_failed;
      else
        ++counters_.sent;
    }
  }
}

void Udp::report(CounterReport& out) const {
  const auto& c = counters_;
  CounterGroup g{"udp", {}};
  g.add("datagrams received", c.received);
  g.add("datagrams delivered to sockets", c.delivered);
  g.add("dropped: truncated", c.truncated);
  g.add("dropped: bad length", c.bad_length);
  g.add("dropped: bad checksum", c.bad_checksum);
  g.add("dropped: no socket on port", c.no_port);
  g.add("dropped: receive buffer full", c.rcvbuf_full);
  g.add("datagrams sent", c.sent);
  g.add("send failures (no route, too big)", c.send_failed);
  out.push_back(std::move(g));
}

}  // namespace tundra::udp

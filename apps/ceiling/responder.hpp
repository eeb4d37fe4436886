// The responder: tundra-ceiling's whole TCP, a fixed table of connections that each keep a few
// sequence numbers and nothing else. Datagrams read from the device come in through input();
// handshakes, resets and the ACKs of FINs and out-of-order data go straight back out with one
// write() each, the ACKs of in-order data every `ack_every` segments or when the loop has read all
// there was (flush_acks); pump() sends the source's zero-filled data as far as the peer's window
// goes. Driven by main.cpp's loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "apps/ceiling/segment.hpp"
#include "stack/base/time.hpp"
#include "stack/tcp/seq.hpp"
#include "stack/wire/ipv4_address.hpp"

namespace tundra::ceiling {

constexpr uint16_t kDiscardPort = 9;  // RFC 863: data is ACKed and thrown away
constexpr uint16_t kSourcePort = 19;  // RFC 864's port, zeros as fast as the peer takes them
constexpr size_t kMaxConnections = 64;
// A source that sees no progress (no new ACK) for this long sends again from snd.una, or, facing
// a zero window, probes it with one byte.
constexpr Duration kResendAfter = 200ms;
// How long a half-open or closing connection waits for the ACK that completes it before it is
// forgotten, and how long any connection may stay silent.
constexpr Duration kClosingTimeout = 5s;
constexpr Duration kIdleTimeout = 60s;

struct Counters {
  uint64_t rx_datagrams = 0, rx_bytes = 0, rx_payload = 0;  // payload: new, in-order bytes
  uint64_t tx_datagrams = 0, tx_bytes = 0, tx_payload = 0;
  uint64_t rx_super = 0, tx_super = 0;  // of the datagrams, GSO super-segments (--offload)
  uint64_t malformed = 0;               // headers that do not fit, datagrams cut short
  uint64_t ignored = 0;                 // not IPv4, not TCP, fragments, not to our address
  uint64_t rx_errors = 0;               // read() failed
  uint64_t tx_errors = 0;               // write() failed for good, or refused an ACK (EAGAIN)
  uint64_t connections = 0;             // handshakes answered
  uint64_t refused = 0;  // SYNs to a full table or to another port (answered with RST)
  uint64_t resets = 0;   // resets sent, refused SYNs included
  uint64_t resends = 0;  // sources going back to snd.una, and zero-window probes
};

// What pump() left behind.
enum class Pump {
  Idle,     // every source waits for its window (or there is none)
  More,     // stopped at the burst limit: read what came in, then call again
  Blocked,  // the device refused a write: wait for POLLOUT
};

class Responder {
 public:
  // `fd`: the device, non-blocking. `offload`: each datagram carries a virtio_net_hdr in front,
  // and the source sends super-segments. `mtu`: the device's, which caps our MSS at mtu - 40.
  // `ack_every`: in-order data segments per ACK at most (1: each is ACKed at once). Every ACK
  // written costs the kernel a pass through its TCP input and output in our write(): that, not
  // our code, is most of the cost per segment, so fewer ACKs (as a receiver with GRO sends) let
  // more data through.
  Responder(int fd, bool offload, wire::ipv4::Address addr, size_t mtu, uint32_t ack_every = 1);

  // One datagram just read: `n` bytes at `data`, the virtio_net_hdr first when offloading.
  void input(const std::byte* data, size_t n, Instant now);
  // Sends source data where windows allow, at most a burst per connection.
  Pump pump(Instant now);
  // Sends the ACKs held back; call after each batch of reads.
  void flush_acks();
  // Resends, probes and forgets connections whose time has come. Cheap; call every few ms.
  void on_timer(Instant now);
  // Whether any connection is open (and so on_timer has work to watch).
  bool busy() const { return used_ != 0; }

  void count_read_error() { ++counters_.rx_errors; }
  void count_truncated() { ++counters_.malformed; }
  const Counters& counters() const { return counters_; }
  // The largest datagram a read may return, virtio_net_hdr included.
  size_t max_read() const { return hdr_len_ + kMaxDatagram; }

 private:
  enum class State : uint8_t { SynReceived, Established, LastAck };

  struct Connection {
    State state = State::SynReceived;
    bool source = false;
    wire::ipv4::Address peer;
    uint16_t peer_port = 0, local_port = 0;
    HeaderTemplate header;
    // RFC 9293 3.3.1 names. snd_max: the highest snd_nxt reached, so that an ACK for data sent
    // before going back to snd_una is still acceptable.
    tcp::Seq iss, snd_una, snd_nxt, snd_max, rcv_nxt;
    uint32_t snd_wnd = 0;    // the peer's window, scaled
    uint8_t snd_shift = 0;   // the peer's window scale (0 when it sent none)
    int8_t peer_shift = -1;  // the option as the peer sent it, -1 when absent
    uint16_t mss = 0;        // what we send in: min(peer's MSS, our mtu - 40)
    Instant last_progress;   // snd_una last moved (or the state changed)
    Instant last_heard;
    Instant give_up;       // SYN-RECEIVED and LAST-ACK: when to stop waiting for the peer's ACK
    uint32_t unacked = 0;  // in-order data segments not ACKed yet
  };

  Connection* find(const Segment& s);
  void open(const Segment& s, Instant now);
  void segment_arrives(Connection& c, const Segment& s, Instant now);
  void close(Connection& c);
  size_t index(const Connection& c) const { return static_cast<size_t>(&c - conns_.data()); }

  // Writes a control segment (no payload) built in ctl_ (after the virtio header room).
  void send_control(size_t len);
  void send_ack(Connection& c, uint8_t flags = bits::kAck);
  void send_syn_ack(Connection& c);
  void send_reset(const Segment& s);
  // Writes `len` zero bytes at snd_nxt; false when the device would block.
  bool send_data(Connection& c, uint32_t len);

  int fd_;
  bool offload_;
  size_t hdr_len_;  // kVnetHeaderLen with offloads, else 0
  wire::ipv4::Address addr_;
  uint16_t max_mss_;
  uint32_t next_iss_;
  std::array<Connection, kMaxConnections> conns_{};
  uint64_t used_ = 0;     // a bit per slot in use
  uint64_t sources_ = 0;  // a bit per established source connection
  uint64_t ack_due_ = 0;  // a bit per connection with data not ACKed yet
  uint32_t ack_every_;
  size_t last_ = 0;  // the slot the last segment belonged to: most are for the same one
  // Control segments are built here; data segments in data_, whose payload bytes stay zero
  // forever (nothing but headers is ever written into it).
  std::vector<std::byte> ctl_;
  std::vector<std::byte> data_;
  Counters counters_;
};

}  // namespace tundra::ceiling

// TcpConfig: the knobs of tundra's TCP, with defaults close to Linux's. Labs shorten timers
// (TIME-WAIT, keep-alive) through it; tests set them freely since time is simulated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "stack/base/time.hpp"
#include "stack/tcp/rtt.hpp"

namespace tundra::tcp {

struct TcpConfig {
  size_t rcvbuf = 256 * 1024;  // SO_RCVBUF default: bytes of receive buffer (and the window)
  size_t sndbuf = 256 * 1024;  // SO_SNDBUF default
  // Auto-tuning (as Linux's tcp_rmem/tcp_wmem maxima): buffers start at rcvbuf/sndbuf and grow up
  // to these while the connection needs them — the peer filling the window we advertised while
  // the application keeps up, or a congestion window bigger than half the send buffer. Storage
  // is taken only as bytes wait (ChunkStore), so an idle connection costs no more. Setting
  // SO_RCVBUF or SO_SNDBUF turns it off for that buffer, as on Linux.
  size_t rcvbuf_max = 4 * 1024 * 1024;
  size_t sndbuf_max = 4 * 1024 * 1024;
  RttConfig rtt;               // RFC 6298: 1 s initial RTO, 200 ms minimum, 60 s maximum
  unsigned syn_retries = 6;    // SYN (and SYN-ACK) retransmissions before ETIMEDOUT
  unsigned data_retries = 15;  // data retransmissions before ETIMEDOUT (Linux tcp_retries2)
  Duration delayed_ack = std::chrono::milliseconds(40);  // RFC 1122 4.2.3.2: under 0.5 s
  // The first data segments of a connection are ACKed at once, as Linux does in its quick-ACK
  // mode: a peer whose Nagle holds a response's second write until the first is ACKed (or whose
  // congestion window is still small) then does not wait out our delayed ACK.
  unsigned quickack_segments = 16;
  // In a read batch, the ACKs that loss recovery waits for (segments past a hole, gap fills)
  // are held back for one ACK after the batch, but for at most this many segments (at least 1).
  size_t sack_every = 32;
  Duration msl = std::chrono::seconds(30);  // TIME-WAIT lasts 2·MSL
  size_t max_time_wait = 4096;              // TIME-WAIT entries kept at most; the oldest go first
  Duration keepalive_idle = std::chrono::hours(2);  // RFC 1122 4.2.3.6: ≥ 2 h by default
  Duration keepalive_interval = std::chrono::seconds(75);
  unsigned keepalive_probes = 9;
  size_t syn_queue = 256;                   // half-open connections per listener at most
  bool window_scaling = true;               // RFC 7323 2
  bool timestamps = true;                   // RFC 7323 3
  bool sack = true;                         // RFC 2018: SACK-permitted offered and SACK blocks sent
  double challenge_acks_per_second = 1000;  // RFC 5961 7: rate limit for challenge ACKs
  std::string congestion_control = "newreno";
  bool nodelay_default = false;  // TCP_NODELAY on new connections (a program-wide --nodelay)
  uint16_t ephemeral_first = 49152, ephemeral_last = 65535;
  // Offloads the link offers (netif::LinkCaps), set by the stack: checksums left for the device
  // to finish, and segments of up to tso_max bytes (IP header included) that the device cuts at
  // the MSS. Retransmissions stay one MSS.
  bool checksum_offload = false;
  size_t tso_max = 0;
};

}  // namespace tundra::tcp

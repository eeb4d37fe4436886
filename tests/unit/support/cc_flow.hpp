// A sender as the TCP connection tracks it (SND.UNA, SND.NXT, a clock the test moves) and the ACK
// events it reports to a congestion control algorithm: the model the congestion, CUBIC and
// HyStart++ tests drive their algorithm through.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "stack/base/time.hpp"
#include "stack/tcp/congestion.hpp"
#include "stack/tcp/seq.hpp"

namespace tundra::tcp::test {

template <class CC>
struct FlowOf {
  // The algorithm is built from the MSS and whatever else its constructor takes.
  template <class... Args>
  explicit FlowOf(size_t mss, Args&&... args) : smss(mss), cc(mss, std::forward<Args>(args)...) {}

  size_t smss;
  CC cc;
  Seq una{100'000};
  Seq nxt{100'000};
  Instant now = Instant::from_millis(5000);
  std::optional<Duration> srtt;  // the connection's SRTT, reported with every ACK

  size_t flight() const { return distance(una, nxt); }
  void send(size_t n) { nxt += n; }
  // Sends while the window allows, as the connection does on an ordinary ACK.
  void fill() {
    while (flight() + smss <= cc.cwnd())
      send(smss);
  }
  // An ACK of `n` new bytes, with the RTT sample it measured, if any.
  AckResponse ack(size_t n, std::optional<Duration> rtt_sample = std::nullopt) {
    const AckEvent e{.ack = una + n,
                     .bytes_acked = n,
                     .flight_before = flight(),
                     .snd_nxt = nxt,
                     .now = now,
                     .srtt = srtt,
                     .rtt_sample = rtt_sample};
    una += n;
    return cc.on_ack(e);
  }
  AckResponse ack_all() { return ack(flight()); }
  // An ACK of `n` new bytes (0: none) with SACK information that let RACK find a loss; not yet
  // reported (SND.UNA is left as it is).
  AckEvent rack_loss(size_t n) const {
    return AckEvent{.ack = una + n,
                    .bytes_acked = n,
                    .flight_before = flight(),
                    .snd_nxt = nxt,
                    .now = now,
                    .sack_lost = true,
                    .rack = true,
                    .sack = true};
  }
  AckResponse dup() {
    return cc.on_ack(
        AckEvent{.ack = una, .flight_before = flight(), .snd_nxt = nxt, .now = now, .srtt = srtt});
  }
  void timeout() { cc.on_retransmission_timeout(flight(), nxt); }
};

}  // namespace tundra::tcp::test

// NewReno congestion control: RFC 5681 slow start, congestion avoidance, fast retransmit and fast
// recovery, with RFC 6582's partial-ACK handling and RFC 3042 limited transmit. Created through
// make_congestion_control() and driven by the TCP connection.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/tcp/congestion.hpp"

namespace tundra::tcp {

class NewReno final : public CongestionControl {
 public:
  // Starts with cwnd = IW(smss) (RFC 6928 2) and an "arbitrarily high" ssthresh (RFC 5681 3.1).
  // The ACK of a SYN must not be reported to on_ack: it must not grow cwnd (RFC 5681 3.1).
  explicit NewReno(size_t smss);

  std::string_view name() const override { return "newreno"; }
  AckResponse on_ack(const AckEvent& e) override;
  void on_retransmission_timeout(size_t flight, Seq snd_nxt) override;
  void on_idle_restart(Duration idle, Duration rto) override;
  void set_smss(size_t smss) override;

  size_t cwnd() const override { return cwnd_; }
  size_t ssthresh() const override { return ssthresh_; }
  bool in_recovery() const override { return in_recovery_; }

  size_t smss() const { return smss_; }
  unsigned duplicate_acks() const { return dup_acks_; }

 private:
  AckResponse on_new_data(const AckEvent& e);
  AckResponse on_duplicate(const AckEvent& e);
  // RFC 5681 3.1 eq. 4.
  size_t halved(size_t flight) const;
  // RFC 6582 3.2 step 2: does `ack` cover more than recover, i.e. ack - 1 > recover?
  bool beyond_recover(Seq ack) const;

  size_t smss_;
  size_t cwnd_;
  size_t ssthresh_;
  // Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 3.1's counting).
  size_t ca_acked_ = 0;
  // Consecutive duplicate ACKs, and FlightSize when the first of them arrived: RFC 5681 3.2 step 2
  // halves that, so segments sent by limited transmit do not count.
  unsigned dup_acks_ = 0;
  size_t flight_at_first_dup_ = 0;
  bool in_recovery_ = false;
  // RFC 6582's `recover`: the highest sequence number sent (SND.NXT - 1) when fast recovery or the
  // last timeout began. Empty before either, and once an ACK covers more than it, which keeps the
  // modulo-2^32 comparison from going stale as the sequence space wraps.
  std::optional<Seq> recover_;
  // RFC 5681 3.2 step 4 note: inflation is limited to the number of segments outstanding when
  // recovery began, so a receiver cannot inflate cwnd at will with invented duplicate ACKs.
  size_t inflations_left_ = 0;
  // The segment at SND.UNA was already resent by the retransmission timer: a further timeout holds
  // ssthresh rather than halving the tiny post-timeout flight again (RFC 5681 3.1).
  bool timed_out_ = false;
  // Nothing acknowledged or timed out yet: an MSS learned in the handshake resets cwnd to its IW.
  bool fresh_ = true;
};

}  // namespace tundra::tcp

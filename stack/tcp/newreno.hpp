// NewReno congestion control: RFC 5681 slow start, congestion avoidance, fast retransmit and fast
// recovery, with RFC 6582's partial-ACK handling and RFC 3042 limited transmit. The loss-recovery
// part is the base class RenoRecovery, which CUBIC (cubic.hpp) shares. Created through
// make_congestion_control() and driven by the TCP connection.
#pragma once

#include <cstddef>
#include <optional>

#include "stack/tcp/congestion.hpp"

namespace tundra::tcp {

// What NewReno and CUBIC have in common: slow start, duplicate ACK counting, limited transmit,
// fast retransmit, NewReno fast recovery with its partial ACKs and `recover`, the retransmission
// timeout and the restart after idle. RFC 9438 4.2: CUBIC "does not make any changes to the TCP
// Fast Recovery and Fast Retransmit algorithms". A subclass supplies how cwnd grows in
// congestion avoidance and how far ssthresh falls on a loss, and may temper slow start's growth
// (CUBIC's HyStart++), through the protected hooks below.
class RenoRecovery : public CongestionControl {
 public:
  AckResponse on_ack(const AckEvent& e) override;
  AckResponse on_loss_detected(const AckEvent& e) override;
  void on_retransmission_timeout(size_t flight, Seq snd_nxt) override;
  void on_spurious_timeout(size_t flight, size_t acked) override;
  void on_spurious_recovery() override;
  void on_idle_restart(Duration idle, Duration rto) override;
  void set_smss(size_t smss) override;

  size_t cwnd() const override { return cwnd_; }
  size_t ssthresh() const override { return ssthresh_; }
  bool in_recovery() const override { return in_recovery_; }

  size_t smss() const { return smss_; }
  unsigned duplicate_acks() const { return dup_acks_; }

 protected:
  enum class LossSignal {
    DuplicateAcks,  // the third duplicate ACK: fast retransmit (RFC 5681 3.2 step 2)
    Timeout,        // the retransmission timer (RFC 5681 3.1 eq. 4)
  };

  // Starts with cwnd = IW(smss) (RFC 6928 2) and an "arbitrarily high" ssthresh (RFC 5681 3.1).
  // The ACK of a SYN must not be reported to on_ack: it must not grow cwnd (RFC 5681 3.1).
  explicit RenoRecovery(size_t smss);

  // An ACK of new data outside recovery with cwnd() < ssthresh(). `increase` is slow start's
  // growth for it (RFC 5681 3.1 eq. 2 with RFC 3465's byte counting, at most L*SMSS); the
  // default adds all of it. A subclass may add less with set_cwnd() and may end slow start with
  // set_ssthresh() (RFC 9406's conservative slow start and its exit).
  virtual void grow_in_slow_start(const AckEvent& e, size_t increase);
  // An ACK of new data outside recovery with cwnd() >= ssthresh(): grow cwnd with set_cwnd().
  virtual void grow_in_congestion_avoidance(const AckEvent& e) = 0;
  // A congestion event: the new ssthresh for `flight` bytes outstanding (RFC 5681 3.2 step 2's
  // FlightSize when the first duplicate arrived, or eq. 4's at a timeout). Called while cwnd()
  // is still the window before the reduction; not called again when the timer fires a second
  // time for the same segment (ssthresh is held then).
  virtual size_t ssthresh_after_loss(size_t flight, LossSignal signal) = 0;
  // cwnd was set by something other than congestion-avoidance growth (a loss, a timeout, the end
  // of recovery, a restart after idle): whatever the growth rule accumulated starts afresh.
  virtual void on_window_reset() {}

  void set_cwnd(size_t cwnd) { cwnd_ = cwnd; }
  void set_ssthresh(size_t ssthresh) { ssthresh_ = ssthresh; }

 private:
  AckResponse on_new_data(const AckEvent& e);
  AckResponse on_duplicate(const AckEvent& e);
  // A loss RACK found outside recovery (on an ACK of new data, or by its timer): recovery
  // starts with cwnd = ssthresh.
  void enter_rack_recovery(const AckEvent& e);
  // What a loss reduces from: FlightSize, or cwnd when smaller.
  size_t loss_base(size_t flight) const;
  // RFC 6582 3.2 step 2: does `ack` cover more than recover, i.e. ack - 1 > recover?
  bool beyond_recover(Seq ack, bool sack = false) const;

  size_t smss_;
  size_t cwnd_;
  size_t ssthresh_;
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
  // RFC 4015's pipe_prev: max(FlightSize, ssthresh) when the first timeout of a run came; 0
  // once undone.
  size_t pipe_prev_ = 0;
  // cwnd and ssthresh when the last fast recovery began, for on_spurious_recovery(); 0 once
  // undone, or after a timeout.
  size_t prior_cwnd_ = 0, prior_ssthresh_ = 0;
  // Saves them: a fast recovery begins.
  void save_prior();
  // Slow start after a retransmission timeout grows by at most one SMSS per ACK (RFC 3465 2.3).
  bool slow_start_after_timeout_ = false;
  // Nothing acknowledged or timed out yet: an MSS learned in the handshake resets cwnd to its IW.
  bool fresh_ = true;
};

class NewReno final : public RenoRecovery {
 public:
  explicit NewReno(size_t smss) : RenoRecovery(smss) {}

  std::string_view name() const override { return "newreno"; }

 private:
  void grow_in_congestion_avoidance(const AckEvent& e) override;
  // RFC 5681 3.1 eq. 4 (and 3.2 step 2): max(FlightSize / 2, 2*SMSS).
  size_t ssthresh_after_loss(size_t flight, LossSignal signal) override;
  void on_window_reset() override { ca_acked_ = 0; }

  // Bytes acknowledged in congestion avoidance since cwnd last grew (RFC 5681 3.1's counting).
  size_t ca_acked_ = 0;
};

}  // namespace tundra::tcp

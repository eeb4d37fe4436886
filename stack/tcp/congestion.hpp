// Congestion control behind a small interface (RFC 5681 and its successors), so NewReno and
// CUBIC are interchangeable. The TCP connection owns the send state and retransmits; an
// algorithm owns cwnd, ssthresh and the recovery state and tells the connection what to do.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "stack/base/time.hpp"
#include "stack/tcp/delivery_rate.hpp"
#include "stack/tcp/seq.hpp"

namespace tundra::tcp {

// RFC 6928 2: IW = min(10*SMSS, max(2*SMSS, 14600)) bytes.
size_t initial_window(size_t smss);

enum class AckKind {
  NewData,    // SND.UNA advanced
  Duplicate,  // RFC 5681 2's "duplicate acknowledgment"; the connection applies that definition
};

struct AckEvent {
  Seq ack;                   // the ACK's acknowledgment number (after it was found acceptable)
  size_t bytes_acked = 0;    // how far SND.UNA advanced (0 for duplicates)
  size_t flight_before = 0;  // bytes in flight (SND.NXT - SND.UNA, or the RFC 6675 pipe) before
  Seq snd_nxt;               // SND.NXT when the ACK arrived
  Instant now;
  std::optional<Duration> srtt;        // the connection's smoothed RTT, when it has one
  std::optional<Duration> rtt_sample;  // the RTT this ACK measured, if it gave a sample
  // RACK (RFC 8985 6.2) has marked a segment lost: loss recovery starts, on a duplicate or on an
  // ACK of new data.
  bool sack_lost = false;
  // SACK blocks are coming (SACK is on and something is SACKed): RACK decides what is lost, and
  // counting duplicates does not start a recovery (RFC 8985 3.4, as Linux with RACK). Without
  // SACK information the third duplicate does (RFC 5681 3.2).
  bool rack = false;
  // SACK is in use on the connection: RFC 6675's rule for starting a new recovery applies
  // instead of RFC 6582's "recover" (RenoRecovery::beyond_recover).
  bool sack = false;
  // Only for an algorithm that wants_rate_samples(): the bytes this ACK delivered (cumulatively
  // acknowledged, or SACKed for the first time), the bytes still in flight after it (the RFC
  // 6675 pipe with SACK), and the delivery rate sample it gave, if any (delivery_rate.hpp).
  size_t delivered = 0;
  size_t in_flight_after = 0;
  std::optional<RateSample> rate;

  // The connection reports only these two kinds, so advancing SND.UNA is what tells them apart.
  constexpr AckKind kind() const {
    return bytes_acked == 0 ? AckKind::Duplicate : AckKind::NewData;
  }
};

struct AckResponse {
  // Retransmit the segment at SND.UNA now: fast retransmit on the third duplicate ACK (RFC 5681
  // 3.2 step 3), or a partial ACK during NewReno recovery (RFC 6582 3.2 step 3).
  bool retransmit_first_unacked = false;
  // This ACK lets up to one SMSS of previously unsent data go now (the receive window and the
  // application permitting), even where that takes FlightSize past cwnd(): limited transmit on
  // the first two duplicate ACKs (RFC 3042, RFC 5681 3.2 step 1), or during recovery when the
  // inflated or deflated window allows (RFC 5681 3.2 step 5, RFC 6582 3.2 step 3). On ordinary
  // ACKs of new data it stays false: the connection sends while FlightSize < cwnd() as usual.
  bool may_send_new = false;
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;

  virtual std::string_view name() const = 0;
  // New data acknowledged, or a duplicate ACK (e.bytes_acked == 0). Other ACKs (pure window
  // updates, ACKs carrying data) are not duplicates (RFC 5681 2) and are not reported.
  virtual AckResponse on_ack(const AckEvent& e) = 0;
  // RACK's reordering timer (RFC 8985 6.2) marked segments lost with no ACK arriving: a loss
  // outside recovery starts one, as on an ACK. `e` has bytes_acked 0, sack_lost set, and
  // in_flight_after the pipe after the marking; it is no duplicate ACK.
  virtual AckResponse on_loss_detected(const AckEvent& e) = 0;
  // The retransmission timer fired (RFC 5681 3.1 eq. 4, cwnd = the 1-SMSS loss window); leaves
  // any recovery. `snd_nxt` is the highest sequence sent so far: RFC 6582 3.2 step 4 records it so
  // that the duplicate ACKs that a go-back-N resend provokes do not start a fast retransmit.
  virtual void on_retransmission_timeout(size_t flight, Seq snd_nxt) = 0;
  // The last retransmission timeout was spurious (RFC 3522: the ACK after it echoes a timestamp
  // from before the retransmission; the data had arrived, only ACKs were lost or late): RFC 4015
  // 3's response restores ssthresh to what was in flight before it (or ssthresh then, if
  // larger) and sets cwnd to FlightSize plus what this ACK covered, at most IW, from which slow
  // start regains the rest within a few round trips. `flight`: FlightSize after the ACK.
  virtual void on_spurious_timeout(size_t flight, size_t acked) = 0;
  // The last fast recovery was spurious: the peer reported every segment it resent as a
  // duplicate (D-SACK, RFC 2883; the detection of RFC 3708), so the segments were only late.
  // Called once the recovery has ended: cwnd and ssthresh go back to what they were before it
  // (at least), as RFC 4015 does for a timeout.
  virtual void on_spurious_recovery() = 0;
  // About to send after `idle` without sending (RFC 5681 4.1): past one RTO, cwnd = min(IW, cwnd).
  virtual void on_idle_restart(Duration idle, Duration rto) = 0;
  // The sender's MSS changed: negotiated in the handshake, or lowered by path MTU discovery.
  virtual void set_smss(size_t smss) = 0;

  // Bytes the sender may have in flight (in NewReno fast recovery, the inflated window).
  virtual size_t cwnd() const = 0;
  virtual size_t ssthresh() const = 0;
  virtual bool in_recovery() const = 0;
  // The algorithm builds on delivery rate samples (BBR): the connection then keeps the state per
  // segment that they need and fills in AckEvent's delivered, in_flight_after and rate.
  virtual bool wants_rate_samples() const { return false; }
  // A loss leaves the window as it was (BBR): the send buffer must then also hold the SACKed
  // data that piles up behind a hole, or recovery runs out of new data to send.
  virtual bool keeps_window_through_loss() const { return false; }
};

// "newreno", "cubic" or "bbr"; nullptr for a name it does not know.
std::unique_ptr<CongestionControl> make_congestion_control(std::string_view name, size_t smss);

// The names make_congestion_control() knows, for validating and listing on a command line.
std::vector<std::string_view> congestion_control_names();

}  // namespace tundra::tcp

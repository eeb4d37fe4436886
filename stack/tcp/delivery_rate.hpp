// DeliveryRate: how fast the connection's data is being delivered, one sample per ACK, as
// draft-cheng-iccrg-delivery-rate-estimation describes it (the estimator BBR builds its model
// on). The connection tells it of each new segment sent and of each ACK; it keeps a little
// state per segment in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "stack/base/time.hpp"
#include "stack/tcp/seq.hpp"

namespace tundra::tcp {

// One delivery rate sample: `delivered` bytes in `interval`. The draft's rs.* fields.
struct RateSample {
  uint64_t delivered = 0;        // rs.delivered
  Duration interval{};           // rs.interval: max(send elapsed, ACK elapsed)
  uint64_t prior_delivered = 0;  // rs.prior_delivered: C.delivered when the sampled segment went
  bool app_limited = false;      // rs.is_app_limited: the sender had nothing to send back then
  // Bytes per second; 0 for an empty interval.
  double bytes_per_second() const;
};

// Why per segment: a sample compares what was delivered when a segment went out with what is
// delivered when its ACK comes back, so each segment carries the connection's delivery state at
// its sending (the draft's P.delivered, P.delivered_time, P.first_sent_time). Only new data is
// recorded; a retransmission is not re-stamped, so a repaired hole samples over the longer
// interval since its first sending, which can only understate the rate.
class DeliveryRate {
 public:
  // New data [.., end) goes out at `now`, with `in_flight` bytes outstanding before it (the
  // draft's "Upon each packet transmission"). With nothing in flight, the interval starts anew.
  void on_send(Seq end, size_t in_flight, Instant now);
  // An ACK delivered `newly` bytes (cumulatively acknowledged plus newly SACKed, not counting
  // bytes SACKed before), acknowledging up to `una` and SACKing up to `highest_sacked`. Returns
  // a sample when the ACK delivered the end of a recorded segment (the draft's "Upon receiving
  // an ACK" with P the most recently sent segment it delivered).
  std::optional<RateSample> on_ack(size_t newly, Seq una, std::optional<Seq> highest_sacked,
                                   Instant now);
  // The application has nothing more to send and the window is not full (the draft's
  // "Detecting application-limited phases"): samples until what is in flight now is delivered
  // are marked app-limited.
  void mark_app_limited(size_t in_flight);

  // C.delivered: bytes delivered so far.
  uint64_t delivered() const { return delivered_; }
  bool app_limited() const { return app_limited_until_ > 0; }
  // Segments recorded and not yet cumulatively acknowledged.
  size_t tracked() const { return sent_.size() - head_; }

 private:
  struct Sent {
    Seq end;
    uint64_t delivered;       // P.delivered
    Instant delivered_time;   // P.delivered_time
    Instant first_sent_time;  // P.first_sent_time
    Instant sent_time;
    bool app_limited;
  };

  std::vector<Sent> sent_;  // oldest first, from head_; emptied (and freed) when all are acked
  size_t head_ = 0;
  uint64_t delivered_ = 0;          // C.delivered
  Instant delivered_time_{};        // C.delivered_time
  Instant first_sent_time_{};       // C.first_sent_time
  uint64_t app_limited_until_ = 0;  // C.app_limited: 0, or delivered_ + the flight it was set at
};

}  // namespace tundra::tcp

// DeliveryRate: per-segment delivery state on sending, one rate sample per ACK
// (draft-cheng-iccrg-delivery-rate-estimation).
#include "stack/tcp/delivery_rate.hpp"

#include <algorithm>

namespace tundra::tcp {

double RateSample::bytes_per_second() const {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(interval).count();
  return us > 0 ? static_cast<double>(delivered) * 1e6 / static_cast<double>(us) : 0.0;
}

void DeliveryRate::on_send(Seq end, size_t in_flight, Instant now) {
  // The draft: "If there are no packets in flight yet, then we can't use the ACK rate...": the
  // first segment after an idle time starts both clocks.
  if (in_flight == 0) first_sent_time_ = delivered_time_ = now;
  sent_.push_back(
      Sent{end, delivered_, delivered_time_, first_sent_time_, now, app_limited_until_ > 0});
}

std::optional<RateSample> DeliveryRate::on_ack(size_t newly, Seq una,
                                               std::optional<Seq> highest_sacked, Instant now) {
  if (newly == 0) return std::nullopt;
  delivered_ += newly;
  delivered_time_ = now;
  if (app_limited_until_ > 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;

  // P: the most recently sent segment this ACK shows delivered, i.e. the last one ending at or
  // below the highest byte acknowledged or SACKed (ends grow in the order segments were sent).
  Seq upto = una;
  if (highest_sacked && *highest_sacked > upto) upto = *highest_sacked;
  const auto first = sent_.begin() + static_cast<std::ptrdiff_t>(head_);
  const auto past =
      std::partition_point(first, sent_.end(), [&](const Sent& s) { return s.end <= upto; });
  std::optional<RateSample> rs;
  if (past != first) {
    const Sent& p = *std::prev(past);
    first_sent_time_ = p.sent_time;
    RateSample r;
    r.prior_delivered = p.delivered;
    r.delivered = delivered_ - p.delivered;
    r.app_limited = p.app_limited;
    // The slower of the sending and the acknowledging rates over the segment's flight: an ACK
    // compressed into a burst cannot make the path look faster than it was fed.
    r.interval = std::max(p.sent_time - p.first_sent_time, now - p.delivered_time);
    rs = r;
  }

  // Segments cumulatively acknowledged are done with.
  while (head_ < sent_.size() && sent_[head_].end <= una)
    ++head_;
  if (head_ == sent_.size()) {
    std::vector<Sent>().swap(sent_);  // an idle connection holds nothing
    head_ = 0;
  } else if (head_ >= 64 && head_ * 2 >= sent_.size()) {
    sent_.erase(sent_.begin(), sent_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  return rs;
}

void DeliveryRate::mark_app_limited(size_t in_flight) {
  // At least 1, so that "app-limited" holds even with nothing in flight.
  app_limited_until_ = std::max<uint64_t>(delivered_ + in_flight, 1);
}

}  // namespace tundra::tcp

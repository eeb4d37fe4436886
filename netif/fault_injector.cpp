// FaultInjector: routes each direction of a link through its FaultPipeline and keeps the inner
// link moving.
#include "netif/fault_injector.hpp"

namespace tundra::netif {

namespace {
// Stream numbers that give each direction its own random sequence from the one seed.
constexpr uint32_t kInboundStream = 1;
constexpr uint32_t kOutboundStream = 2;

void report_direction(const std::string& name, const FaultCounters& c, CounterReport& out) {
  CounterGroup g{name, {}};
  g.add("datagrams passed", c.passed);
  g.add("datagrams dropped (loss)", c.dropped);
  g.add("datagrams corrupted", c.corrupted);
  g.add("datagrams duplicated", c.duplicated);
  g.add("datagrams reordered", c.reordered);
  g.add("datagrams delayed", c.delayed);
  g.add("datagrams dropped by rate limit", c.rate_limited);
  g.add("datagrams dropped, hold limit reached", c.overflow);
  out.push_back(std::move(g));
}
}  // namespace

FaultInjector::FaultInjector(std::unique_ptr<Link> inner, const FaultConfig& config)
    : LinkWrapper(std::move(inner)),
      config_(config),
      inbound_(config.inbound, config.seed, kInboundStream),
      outbound_(config.outbound, config.seed, kOutboundStream) {}

std::optional<PacketBuffer> FaultInjector::receive(Instant now) {
  if (inbound_.pass_through()) {
    // Nothing to change or hold: take one at a time and leave the rest in the inner link (a
    // TUN device's queue), exactly as if we were not here.
    auto p = inner_->receive(now);
    if (!p) return std::nullopt;
    inbound_.push(std::move(*p), now);
    return inbound_.pop_due(now);
  }
  while (auto p = inner_->receive(now))
    inbound_.push(std::move(*p), now);
  return inbound_.pop_due(now);
}

void FaultInjector::transmit(PacketBuffer packet, Instant now) {
  outbound_.push(std::move(packet), now);
  forward_due(now);
}

void FaultInjector::poll(Instant now) {
  inbound_.advance(now);
  forward_due(now);
  inner_->poll(now);
}

void FaultInjector::forward_due(Instant now) {
  while (auto p = outbound_.pop_due(now))
    inner_->transmit(std::move(*p), now);
}

std::optional<Instant> FaultInjector::poll_at() const {
  return earliest(inner_->poll_at(), earliest(inbound_.next_due(), outbound_.next_due()));
}

void FaultInjector::report(CounterReport& out) const {
  report_direction("faults inbound", inbound_.counters(), out);
  report_direction("faults outbound", outbound_.counters(), out);
  inner_->report(out);
}

std::string FaultInjector::describe() const {
  return "faults(in: " + config_.inbound.summary() + "; out: " + config_.outbound.summary() +
         "; seed=" + std::to_string(config_.seed) + ") > " + inner_->describe();
}

}  // namespace tundra::netif

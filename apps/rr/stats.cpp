// Latency statistics: sort once, read ranks.
#include "apps/rr/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tundra::rr {

double percentile(std::span<const double> sorted, double p) {
  // Rank (n-1)*p/100, between two samples: the weighted mean of both.
  const double rank = static_cast<double>(sorted.size() - 1) * std::clamp(p, 0.0, 100.0) / 100;
  const auto below = static_cast<size_t>(std::floor(rank));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double frac = rank - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * frac;
}

std::optional<LatencyStats> latency_stats(std::vector<double> samples) {
  if (samples.empty()) return std::nullopt;
  std::sort(samples.begin(), samples.end());
  LatencyStats s;
  s.count = samples.size();
  s.min = samples.front();
  s.max = samples.back();
  s.median = percentile(samples, 50);
  s.p90 = percentile(samples, 90);
  s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.count);
  return s;
}

}  // namespace tundra::rr

// Latency statistics for tundra-rr's summary: min, median, 90th percentile, max and mean of the
// requests' latencies. Percentiles interpolate linearly between the two nearest ranks (as
// numpy.percentile and Python's statistics.median do), so a student can check them by hand.
#pragma once

#include <optional>
#include <span>
#include <vector>

namespace tundra::rr {

struct LatencyStats {
  size_t count = 0;
  double min = 0, median = 0, p90 = 0, max = 0, mean = 0;
};

// The p-th percentile (0..100) of `sorted` (ascending, not empty).
double percentile(std::span<const double> sorted, double p);

// The statistics of `samples` (any order), or nullopt when there are none.
std::optional<LatencyStats> latency_stats(std::vector<double> samples);

}  // namespace tundra::rr

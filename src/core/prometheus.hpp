#pragma once
// The Prometheus text exposition format (version 0.0.4), written in one place: every metric
// of /metrics goes through PrometheusText, which writes each family's HELP and TYPE once,
// escapes label values and help texts, and spells histograms with their _bucket (ascending
// `le`, ending at +Inf), _sum and _count. Histogram collects observations for it.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigie {

enum class MetricType { kCounter, kGauge, kHistogram };

/// A histogram's state at one moment: `counts[i]` observations <= bounds[i] and above the
/// previous bound; the last entry counts those above every bound.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  double sum = 0;
  std::uint64_t count = 0;
};

/// Observations in fixed buckets. observe() and snapshot() from any thread.
class Histogram {
 public:
  /// `bounds`: finite upper bounds, ascending.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  [[nodiscard]] HistogramSnapshot snapshot() const;

 private:
  mutable std::mutex mutex_;  // guards snapshot_
  HistogramSnapshot snapshot_;
};

/// Bucket bounds in seconds from 1 ms to 30 s, for per-frame costs and alert latencies.
std::vector<double> seconds_buckets();

/// Label names and values of one sample, in the order written.
using MetricLabels = std::vector<std::pair<std::string_view, std::string>>;

/// Builds one exposition. Not thread-safe: one per scrape.
class PrometheusText {
 public:
  /// Starts a family: HELP then TYPE. `name` follows Prometheus conventions (a counter's ends
  /// in _total; units are base units: _seconds, _bytes).
  PrometheusText& family(std::string_view name, MetricType type, std::string_view help);
  /// A counter or gauge sample of the current family.
  PrometheusText& sample(const MetricLabels& labels, double value);
  PrometheusText& sample(double value) { return sample({}, value); }
  /// The current family's histogram series for `labels`.
  PrometheusText& histogram(const MetricLabels& labels, const HistogramSnapshot& h);

  /// A family with one unlabelled sample.
  PrometheusText& counter(std::string_view name, std::string_view help, double value);
  PrometheusText& gauge(std::string_view name, std::string_view help, double value);

  [[nodiscard]] const std::string& text() const { return out_; }

  /// A label value as the format wants it: \\, \" and \n escaped.
  static std::string escape_label_value(std::string_view value);
  /// A number as the format wants it: integers without a fraction, +Inf, -Inf, NaN.
  static std::string format_value(double value);

 private:
  void write_series(std::string_view suffix, const MetricLabels& labels,
                    const std::pair<std::string_view, std::string>* extra, double value);

  std::string out_;
  std::string current_;  ///< the family being written
};

}  // namespace vigie

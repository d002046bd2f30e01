#include "core/prometheus.hpp"

#include <cmath>

#include <fmt/format.h>

namespace vigie {

Histogram::Histogram(std::vector<double> bounds) {
  snapshot_.bounds = std::move(bounds);
  snapshot_.counts.assign(snapshot_.bounds.size() + 1, 0);
}

void Histogram::observe(double value) {
  std::lock_guard lock(mutex_);
  std::size_t i = 0;
  while (i < snapshot_.bounds.size() && value > snapshot_.bounds[i]) ++i;
  ++snapshot_.counts[i];
  snapshot_.sum += value;
  ++snapshot_.count;
}

HistogramSnapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::vector<double> seconds_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::string PrometheusText::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string PrometheusText::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<long long>(value));
  }
  return fmt::format("{}", value);
}

PrometheusText& PrometheusText::family(std::string_view name, MetricType type,
                                       std::string_view help) {
  current_ = std::string(name);
  // HELP escapes only backslashes and line feeds.
  std::string h;
  for (const char c : help) {
    if (c == '\\') {
      h += "\\\\";
    } else if (c == '\n') {
      h += "\\n";
    } else {
      h += c;
    }
  }
  const char* kind = type == MetricType::kCounter ? "counter"
                     : type == MetricType::kGauge ? "gauge"
                                                  : "histogram";
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, h, name, kind);
  return *this;
}

void PrometheusText::write_series(std::string_view suffix, const MetricLabels& labels,
                                  const std::pair<std::string_view, std::string>* extra,
                                  double value) {
  out_ += current_;
  out_ += suffix;
  if (!labels.empty() || extra != nullptr) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += escape_label_value(v);
      out_ += '"';
    };
    for (const auto& [k, v] : labels) add(k, v);
    if (extra != nullptr) add(extra->first, extra->second);
    out_ += '}';
  }
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

PrometheusText& PrometheusText::sample(const MetricLabels& labels, double value) {
  write_series("", labels, nullptr, value);
  return *this;
}

PrometheusText& PrometheusText::histogram(const MetricLabels& labels,
                                          const HistogramSnapshot& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += i < h.counts.size() ? h.counts[i] : 0;
    const std::pair<std::string_view, std::string> le{
        "le", i < h.bounds.size() ? format_value(h.bounds[i]) : "+Inf"};
    write_series("_bucket", labels, &le, static_cast<double>(cumulative));
  }
  write_series("_sum", labels, nullptr, h.sum);
  write_series("_count", labels, nullptr, static_cast<double>(h.count));
  return *this;
}

PrometheusText& PrometheusText::counter(std::string_view name, std::string_view help,
                                        double value) {
  return family(name, MetricType::kCounter, help).sample(value);
}

PrometheusText& PrometheusText::gauge(std::string_view name, std::string_view help,
                                      double value) {
  return family(name, MetricType::kGauge, help).sample(value);
}

}  // namespace vigie

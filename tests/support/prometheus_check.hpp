#pragma once
// A strict reader of the Prometheus text format (0.0.4) for tests: it fails on anything a
// scraper would reject or a reviewer should (a family without HELP or TYPE, a family written
// twice, a sample outside its family, a bad escape, a counter not ending in _total, a time
// not in seconds, a histogram whose buckets are not ascending and cumulative up to +Inf).

#include <map>
#include <string>
#include <vector>

namespace vigie::test {

struct PromSample {
  std::string name;  ///< as written, e.g. x_bucket
  std::map<std::string, std::string> labels;  ///< values unescaped
  double value = 0;
};

struct PromFamily {
  std::string name;
  std::string type;  ///< counter, gauge or histogram
  std::string help;
  std::vector<PromSample> samples;
};

struct PromExposition {
  std::vector<PromFamily> families;
  std::vector<std::string> errors;  ///< each with its line number; empty when all is well

  [[nodiscard]] const PromFamily* family(const std::string& name) const;
  /// The value of the sample `name` whose labels include `labels`; -1 when none.
  [[nodiscard]] double value(const std::string& name,
                             const std::map<std::string, std::string>& labels = {}) const;
};

PromExposition parse_prometheus(const std::string& text);

}  // namespace vigie::test

#pragma once
// vigie bench capacity: how many cameras one machine analyses. N copies of one source play
// at real-time pace through a whole node with every classical rule on; the run reports the
// cores each stream costs (split by thread role), the slowest camera's analysed rate, the
// frames dropped, memory per stream, and libav's decode-only cost of the same source with
// the same decoder options, measured in the same run, as the floor to compare against.

#include <string>

#include <CLI/CLI.hpp>

namespace vigie::cli {

struct CapacityOptions {
  std::string source;       ///< video file or URL; default: the made source
  std::string camera;       ///< camera file; default: camera.yaml beside a file source
  std::string make_source;  ///< folder to render a realistic 720p source into, first
  int streams = 0;          ///< cameras; 0 with find_max
  bool find_max = false;    ///< search the most cameras the machine keeps at their rate
  double warmup_s = 20;     ///< not measured: models learning the background, caches filling
  double duration_s = 40;   ///< measured, after the warm-up
  bool alerts = false;      ///< intrusion over the whole image: alerts and evidence happen
  /// With alerts: the image cut into this many bands side by side, each watched by its own
  /// intrusion rule and so raising its own alert: a burst when people first walk in.
  int alert_zones = 1;
  std::string json;         ///< write the figures here too
  std::string dir = "var/bench-capacity";
};

/// Registers the options on `command`.
void add_capacity_options(CLI::App& command, CapacityOptions& options);

/// Runs the benchmark; returns the process exit code.
int bench_capacity(const CapacityOptions& options);

}  // namespace vigie::cli

#pragma once
// The node's own /metrics families: cameras, analysis, evidence, the detector, publishers,
// the process and the build (docs/api.md lists every one). The API server writes its own
// (sessions, logins, alert events and latencies) before these.

#include <cstdint>

#include "core/prometheus.hpp"
#include "engine/engine.hpp"
#include "evidence/evidence_writer.hpp"
#include "publish/publisher.hpp"

namespace vigie::engine {

/// What the node's families are read from, at scrape time.
struct NodeMetricsInputs {
  const Engine& engine;
  evidence::EvidenceCounters evidence;
  std::uint64_t alerts_reported = 0;      ///< pipeline alert reports stored
  const publish::Publisher* publishers;  ///< null when none is configured
};

/// Appends the node's families to `out`. Any thread.
void write_node_metrics(PrometheusText& out, const NodeMetricsInputs& in);

}  // namespace vigie::engine

#pragma once
// Runs an engine in the foreground until a signal, a deadline or the end of its inputs,
// printing camera health at a fixed interval.

#include <optional>

#include "engine/engine.hpp"
#include "rules/situation.hpp"

namespace vigie::cli {

struct RunLoopOptions {
  double status_interval_s = 1.0;    ///< 0: never print
  std::optional<double> duration_s;  ///< stop after this long
  bool stop_when_finished = true;    ///< stop once every file has played out
};

/// An alert sink that prints raised and ended alerts to the terminal, one line each
/// (thread-safe): the operator's view until the console is there.
rules::AlertSink print_alerts();

/// Installs SIGINT/SIGTERM handlers, starts the engine and blocks until one of the stop
/// conditions; then stops the engine. Returns 0, or 1 when every camera failed.
int run_engine_in_foreground(engine::Engine& engine, const RunLoopOptions& options);

}  // namespace vigie::cli

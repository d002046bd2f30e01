#pragma once
// Runs an engine in the foreground until a signal, a deadline or the end of its inputs,
// printing camera health at a fixed interval.

#include <functional>
#include <optional>
#include <string>

#include "engine/engine.hpp"
#include "engine/node.hpp"
#include "rules/situation.hpp"

namespace vigie::cli {

struct RunLoopOptions {
  double status_interval_s = 1.0;    ///< 0: never print
  std::optional<double> duration_s;  ///< stop after this long
  bool stop_when_finished = true;    ///< stop once every file has played out
  /// SIGUSR1: the global analysis stop (the process keeps running, journaled, and only a
  /// supervisor resumes). Unset: SIGUSR1 is ignored.
  std::function<void()> on_stop_signal;
  /// SIGHUP (systemctl reload): read the configuration again. Unset: SIGHUP is ignored (and
  /// said so), never the end of the process.
  std::function<void()> on_reload_signal;
  /// Printed after the console's address, e.g. "login operator / secret".
  std::string console_login;
  /// Told to systemd with READY=1 once the engine (and the node's API) runs.
  std::string ready_status = "running";
};

/// Where the console's files are when api.console_dir is not set: $VIGIE_CONSOLE_DIR, then
/// beside the binary (`console/`, `../console/`: a build folder inside the source tree),
/// `../share/vigie/console/` (an installed binary), the source tree the binary was built
/// from, then /usr/share/vigie/console. The first holding an index.html; empty when none.
std::string default_console_dir();

/// An alert sink that prints raised and ended alerts to the terminal, one line each
/// (thread-safe): the operator's view until the console is there.
rules::AlertSink print_alerts();

/// Installs SIGINT/SIGTERM (end the process), SIGUSR1 (global stop) and SIGHUP (reload)
/// handlers, starts the
/// engine and blocks until one of the stop conditions; then stops the engine. Under systemd
/// it sends READY=1 once started, pings the watchdog while analysis makes progress
/// (Engine::analysis_health) and STOPPING=1 at the end. Returns 0, or 1 when every camera
/// failed.
int run_engine_in_foreground(engine::Engine& engine, const RunLoopOptions& options);

/// Opens and starts a node (store, governance, API, publishers, cameras), prints where its
/// API listens, runs it as run_engine_in_foreground does with SIGUSR1 as the global stop and
/// SIGHUP as a reload of `config_file` (Node::reload), then stops it. Returns 1 when the node
/// cannot start.
int run_node_in_foreground(const config::Config& config, engine::NodeOptions options,
                           RunLoopOptions loop);

}  // namespace vigie::cli

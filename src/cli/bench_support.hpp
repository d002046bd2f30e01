#pragma once
// Pieces shared by the `vigie bench` subcommands: the authorization a benchmark node runs
// under, the process's usage at one moment, a free loopback port.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/process_usage.hpp"

namespace vigie::cli {

/// An authorization for every event type on `cameras`, from an hour ago to two hours ahead,
/// whose reference says it is a benchmark (the journal of a benchmark node is not evidence).
config::Authorization bench_authorization(std::vector<std::string> cameras);

/// The process's usage at one moment, with the monotonic wall clock it was read at.
struct Usage {
  double wall_ms = 0;
  ProcessUsage process;
  static Usage now();
};

/// A loopback port that was free a moment ago; 0 when none could be found.
int free_port();

}  // namespace vigie::cli

#pragma once
// The `vigie` subcommands. Each registers its options on the CLI11 app and returns the
// process exit code when run: 0 success, 1 failure at run time, 2 bad usage or input.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace vigie::cli {

/// The --log-level given on the command line, if any; it wins over configuration files.
const std::optional<std::string>& log_level_override();

/// A registered subcommand: `run` is called after parsing when `app` was chosen.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Command add_run_command(CLI::App& app);
Command add_demo_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_check_config_command(CLI::App& app);
Command add_eval_command(CLI::App& app);
Command add_stop_command(CLI::App& app);
Command add_resume_command(CLI::App& app);
Command add_reload_command(CLI::App& app);
Command add_journal_command(CLI::App& app);
Command add_user_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_migrate_command(CLI::App& app);

}  // namespace vigie::cli

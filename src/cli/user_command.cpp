// vigie user add NAME --role ROLE --config FILE: creates a console and API user directly in
// the node's store (the first admin, or when no admin can log in). The password is read from
// $VIGIE_PASSWORD or the first line of standard input, never from the command line.

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "core/clock.hpp"
#include "core/redact.hpp"
#include "govern/users.hpp"
#include "storage/store.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string config;
  std::string name;
  std::string role = "operator";
};

std::string read_password() {
  if (const char* p = std::getenv("VIGIE_PASSWORD"); p != nullptr) return p;
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int add_user(const Options& o) {
  const auto role = govern::role_from_string(o.role);
  if (!role) {
    std::fprintf(stderr, "user add: unknown role '%s'\n", o.role.c_str());
    return 2;
  }
  const config::LoadResult loaded = config::load_config_file(o.config);
  if (!loaded.ok()) {
    std::fputs(redact(loaded.error_text(o.config)).c_str(), stderr);
    return 2;
  }
  auto store = storage::make_store(loaded.config->storage);
  if (!store) {
    std::fprintf(stderr, "user add: %s\n", store.status().to_string().c_str());
    return 1;
  }
  govern::UserDirectory users(**store, SystemClock::instance());
  auto user = users.create("cli", o.name, *role, read_password());
  if (!user) {
    std::fprintf(stderr, "user add: %s\n", user.status().message().c_str());
    return user.status().code() == StatusCode::kInvalidArgument ||
                   user.status().code() == StatusCode::kFailedPrecondition
               ? 2
               : 1;
  }
  std::printf("created %s (%s)\n", user->name.c_str(), user->role.c_str());
  return 0;
}

}  // namespace

Command add_user_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* user = app.add_subcommand("user", "Manage console and API users.");
  CLI::App* add = user->add_subcommand(
      "add", "Create a user in the node's store. The password (8 characters at least) is read "
             "from $VIGIE_PASSWORD or standard input.");
  user->require_subcommand(1);
  add->add_option("NAME", opts->name, "User name (letters, digits, '.', '-', '_')")->required();
  add->add_option("--role", opts->role, "operator, supervisor, auditor or admin")
      ->check(CLI::IsMember({"operator", "supervisor", "auditor", "admin"}))
      ->capture_default_str();
  add->add_option("--config,-c", opts->config, "The node's configuration file")->required();
  return {user, [opts] { return add_user(*opts); }};
}

}  // namespace vigie::cli

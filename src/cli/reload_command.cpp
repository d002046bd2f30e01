// vigie reload: a running node reads its configuration file again, through its API, as a
// supervisor. (SIGHUP to the process, what `systemctl reload vigie` sends, is the other way.)

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"

namespace vigie::cli {
namespace {

int reload(const ApiLogin& login) {
  auto session = ApiSession::open(login, "reload");
  if (!session) return 1;
  auto r = session->post("/api/v1/reload", "{}");
  if (r && r->status == 400) {
    // The file was refused: every error with its key path and line, and nothing changed.
    std::fprintf(stderr, "reload refused, nothing changed:\n");
    try {
      const nlohmann::json body = nlohmann::json::parse(r->body);
      for (const auto& e : body.at("error").at("errors")) {
        std::fprintf(stderr, "  %s: %s\n", e.value("path", "").c_str(),
                     e.value("message", "").c_str());
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "  %s\n", error_of(r).c_str());
    }
    return 2;
  }
  if (!r || r->status != 200) {
    std::fprintf(stderr, "reload failed: %s\n", error_of(r).c_str());
    return 1;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r->body);
  } catch (const std::exception&) {
    std::fprintf(stderr, "reload: unreadable answer\n");
    return 1;
  }
  std::printf("reloaded: version %s -> %s\n", j.value("from_version", "").c_str(),
              j.value("to_version", "").c_str());
  if (j["cameras"].empty()) std::printf("  cameras: unchanged\n");
  for (const auto& c : j["cameras"]) {
    std::string keys;
    for (const auto& k : c["keys"]) keys += (keys.empty() ? "" : ", ") + k.get<std::string>();
    std::printf("  camera %s: %s%s%s%s\n", c.value("camera", "").c_str(),
                c.value("change", "").c_str(), keys.empty() ? "" : " (", keys.c_str(),
                keys.empty() ? "" : ")");
  }
  for (const auto& s : j["needs_restart"]) {
    std::printf("  %s changed: applies at the next restart\n", s.get<std::string>().c_str());
  }
  return 0;
}

}  // namespace

Command add_reload_command(CLI::App& app) {
  auto login = std::make_shared<ApiLogin>();
  CLI::App* sub = app.add_subcommand(
      "reload",
      "Make a running node read its configuration file again and apply it without a restart "
      "(cameras, zones, rules, masks, authorizations). A file with errors changes nothing: "
      "the errors are printed and the exit status is 2. The password is read from "
      "$VIGIE_PASSWORD or standard input.");
  sub->add_option("--api", login->api, "Base URL of the node's API")->capture_default_str();
  sub->add_option("--user,-u", login->user, "Supervisor user name")->required();
  sub->add_flag("--insecure", login->insecure, "Accept a self-signed HTTPS certificate");
  return {sub, [login] { return reload(*login); }};
}

}  // namespace vigie::cli

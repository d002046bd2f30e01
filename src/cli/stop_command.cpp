// vigie stop / vigie resume: the global or per-camera analysis stop, through a running
// node's API, as a supervisor. (SIGUSR1 to the process is the other global stop.)

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string api = "http://127.0.0.1:8080";
  std::string user;
  std::string camera;
  std::string reason;
  bool insecure = false;
};

std::string error_of(const httplib::Result& r) {
  if (!r) return "no answer: " + httplib::to_string(r.error());
  try {
    auto j = nlohmann::json::parse(r->body);
    return std::to_string(r->status) + " " + j.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    return "HTTP " + std::to_string(r->status);
  }
}

// The password comes from $VIGIE_PASSWORD or the first line of stdin, never from the
// command line (it would show in the process list and the shell history).
std::string read_password() {
  if (const char* p = std::getenv("VIGIE_PASSWORD"); p != nullptr) return p;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

int call(const Options& o, bool resume) {
  httplib::Client client(o.api);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  if (o.insecure) client.enable_server_certificate_verification(false);
  const nlohmann::json login = {{"user", o.user}, {"password", read_password()}};
  auto r = client.Post("/api/v1/login", login.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "%s: login as %s failed: %s\n", resume ? "resume" : "stop",
                 o.user.c_str(), error_of(r).c_str());
    return 1;
  }
  const std::string token = nlohmann::json::parse(r->body).value("token", "");
  httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  nlohmann::json body = nlohmann::json::object();
  if (!o.camera.empty()) body["camera"] = o.camera;
  if (!resume) body["reason"] = o.reason;
  r = client.Post(resume ? "/api/v1/resume" : "/api/v1/stop", headers, body.dump(),
                  "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "%s failed: %s\n", resume ? "resume" : "stop", error_of(r).c_str());
    return 1;
  }
  const std::string what = o.camera.empty() ? "all cameras" : "camera " + o.camera;
  std::printf("%s: %s\n", resume ? "resumed" : "stopped", what.c_str());
  return 0;
}

Command add(CLI::App& app, bool resume) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      resume ? "resume" : "stop",
      resume ? "Resume analysis stopped by a supervisor (all cameras, or one)."
             : "Stop analysis at once (all cameras, or one), through the node's API. "
               "The password is read from $VIGIE_PASSWORD or standard input.");
  sub->add_option("--api", opts->api, "Base URL of the node's API")->capture_default_str();
  sub->add_option("--user,-u", opts->user, "Supervisor user name")->required();
  sub->add_option("--camera", opts->camera, "Only this camera (default: every camera)");
  if (!resume) sub->add_option("--reason", opts->reason, "Why, for the journal");
  sub->add_flag("--insecure", opts->insecure, "Accept a self-signed HTTPS certificate");
  return {sub, [opts, resume] { return call(*opts, resume); }};
}

}  // namespace

Command add_stop_command(CLI::App& app) {
  return add(app, false);
}
Command add_resume_command(CLI::App& app) {
  return add(app, true);
}

}  // namespace vigie::cli

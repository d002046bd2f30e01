// vigie stop / vigie resume: the global or per-camera analysis stop, through a running
// node's API, as a supervisor. (SIGUSR1 to the process is the other global stop.)

#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/api_client.hpp"
#include "cli/commands.hpp"

namespace vigie::cli {
namespace {

struct Options {
  ApiLogin login;
  std::string camera;
  std::string reason;
};

int call(const Options& o, bool resume) {
  auto session = ApiSession::open(o.login, resume ? "resume" : "stop");
  if (!session) return 1;
  nlohmann::json body = nlohmann::json::object();
  if (!o.camera.empty()) body["camera"] = o.camera;
  if (!resume) body["reason"] = o.reason;
  auto r = session->post(resume ? "/api/v1/resume" : "/api/v1/stop", body.dump());
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
  sub->add_option("--api", opts->login.api, "Base URL of the node's API")->capture_default_str();
  sub->add_option("--user,-u", opts->login.user, "Supervisor user name")->required();
  sub->add_option("--camera", opts->camera, "Only this camera (default: every camera)");
  if (!resume) sub->add_option("--reason", opts->reason, "Why, for the journal");
  sub->add_flag("--insecure", opts->login.insecure, "Accept a self-signed HTTPS certificate");
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

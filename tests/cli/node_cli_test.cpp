// A node run as a real process: alerts survive kill -9, SIGUSR1 stops analysis at once,
// and every one of those acts is in a journal that still verifies.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/iso_time.hpp"
#include "support/process.hpp"

namespace vigie {
namespace {

using test::run_command;
using test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string vigie(const std::string& args) {
  return test::vigie_binary() + " " + args;
}

// Renders the intrusion scene (someone enters the track zone at 13.4 s) and writes a node
// configuration around its camera: a data folder, any free port, and an authorization.
std::filesystem::path intrusion_node(const TempDir& dir, bool authorised = true,
                                     const std::string& input = "{realtime: false}",
                                     const std::string& types = "[intrusion]") {
  const auto synth = run_command(
      vigie("synth --scenario intrusion --seed 1 --duration 20 --out " + (dir / "scene").string()));
  EXPECT_EQ(synth.exit_code, 0) << synth.err;
  std::ifstream in(dir / "scene" / "camera.yaml");
  std::ostringstream node;
  node << "cameras:\n";
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.rfind("url:", 0) == 0) line = "url: scene/video.mp4";
    if (line.rfind("id:", 0) == 0) line = "id: gate";
    node << (first ? "  - " : "    ") << line << "\n";
    first = false;
  }
  node << "    input: " << input << "\n";
  node << "storage: {data_dir: data}\napi: {port: 0}\n";
  if (authorised) {
    const auto now = std::chrono::system_clock::now();
    node << "authorizations:\n"
         << "  - reference: TEST-1\n    cameras: [gate]\n    event_types: " << types << "\n"
         << "    start: " << format_iso8601(now - std::chrono::hours(1)) << "\n"
         << "    end: " << format_iso8601(now + std::chrono::hours(1)) << "\n"
         << "    controller: test\n";
  }
  test::write_file(dir / "node.yaml", node.str());
  return dir / "node.yaml";
}

std::vector<nlohmann::json> journal_lines(const TempDir& dir) {
  const auto r = run_command(vigie("journal export --data-dir " + (dir / "data").string() +
                                   " --from 2000-01-01 --to 2100-01-01"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

bool has_action(const std::vector<nlohmann::json>& records, const std::string& action) {
  for (const auto& r : records) {
    if (r.value("action", "") == action) return true;
  }
  return false;
}

TEST(NodeCliTest, AnAlertSurvivesKillNineRightAfterItIsShown) {
  TempDir dir;
  const auto config = intrusion_node(dir);
  test::Child node(vigie("run --status-interval 0 --config " + config.string()));
  ASSERT_TRUE(node.wait_for_output("*** ALERT intrusion", 60)) << node.out() << node.err();
  node.signal(SIGKILL);  // no chance to flush or close anything
  EXPECT_EQ(node.wait(5), 128 + SIGKILL);

  const auto verify = run_command(vigie("journal verify --data-dir " + (dir / "data").string()));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("journal OK"));
  const auto records = journal_lines(dir);
  ASSERT_TRUE(has_action(records, "alert.raised")) << "the alert shown was not journaled";
  for (const auto& r : records) {
    if (r.value("action", "") != "alert.raised") continue;
    EXPECT_EQ(r["detail"]["camera"], "gate");
    EXPECT_EQ(r["detail"]["type"], "intrusion");
    EXPECT_FALSE(r["detail"]["config_version"].get<std::string>().empty());
  }
}

TEST(NodeCliTest, WithoutAuthorizationNothingIsAnalysed) {
  TempDir dir;
  const auto config = intrusion_node(dir, false);
  const auto r = run_command(vigie("run --status-interval 0 --config " + config.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("*** ALERT")));
  EXPECT_THAT(r.out, HasSubstr("no active authorization"));
  EXPECT_FALSE(has_action(journal_lines(dir), "alert.raised"));
}

TEST(NodeCliTest, OnlyAuthorisedEventTypesAreEvaluatedAndConfigChangesAreJournaled) {
  TempDir dir;
  auto config = intrusion_node(dir, true, "{realtime: false}", "[fire]");
  auto r = run_command(vigie("run --status-interval 0 --config " + config.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("*** ALERT"))) << "intrusion is not authorised here";
  EXPECT_THAT(r.out, Not(HasSubstr("not analysed")));

  config = intrusion_node(dir, true, "{realtime: false}", "[intrusion, fire]");
  r = run_command(vigie("run --status-interval 0 --config " + config.string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("*** ALERT intrusion"));
  const auto records = journal_lines(dir);
  EXPECT_TRUE(has_action(records, "config.changed"));
  EXPECT_TRUE(has_action(records, "alert.raised"));
}

TEST(NodeCliTest, SigusrOneStopsAnalysisAndIsJournaled) {
  TempDir dir;
  // Real-time pace: the intrusion at 13.4 s would be seen within the 17 s run if analysis ran.
  const auto config = intrusion_node(dir, true, "{realtime: true}");
  test::Child node(vigie("run --status-interval 0 --duration 17 --config " + config.string()));
  ASSERT_TRUE(node.wait_for_output("API: http", 30)) << node.err();
  node.signal(SIGUSR1);
  EXPECT_EQ(node.wait(60), 0) << node.err();
  EXPECT_THAT(node.out(), Not(HasSubstr("*** ALERT")));
  EXPECT_THAT(node.out(), HasSubstr("global stop: stopped by signal"));
  const auto records = journal_lines(dir);
  EXPECT_TRUE(has_action(records, "stop.stopped"));
  EXPECT_FALSE(has_action(records, "alert.raised"));
}

TEST(NodeCliTest, StopAndResumeFromTheCommandLineThroughTheApi) {
  TempDir dir;
  const auto config = intrusion_node(dir, true, "{realtime: true, loop: true}");
  for (const auto& [name, role] : {std::pair{"op", "operator"}, std::pair{"sup", "supervisor"}}) {
    const auto r = run_command("VIGIE_PASSWORD=" + std::string(name) + "-password " +
                               vigie("user add " + std::string(name) + " --role " + role +
                                     " --config " + config.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  test::Child node(vigie("run --status-interval 0 --duration 60 --config " + config.string()));
  ASSERT_TRUE(node.wait_for_output("API: http://127.0.0.1:", 30)) << node.err();
  const std::string out = node.out();
  const auto at = out.find("127.0.0.1:") + 10;
  const std::string api = "http://127.0.0.1:" + out.substr(at, out.find('/', at) - at);

  auto as = [&](const std::string& user, const std::string& args) {
    return run_command("VIGIE_PASSWORD=" + user + "-password " +
                       vigie(args + " --api " + api + " --user " + user));
  };
  const auto stop = as("op", "stop --camera gate --reason 'smoke on screen'");
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_THAT(stop.out, HasSubstr("stopped: camera gate"));
  const auto refused = as("op", "resume --camera gate");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("403"));
  const auto wrong = run_command("VIGIE_PASSWORD=nope " +
                                 vigie("stop --api " + api + " --user sup"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("login as sup failed"));
  const auto resume = as("sup", "resume --camera gate");
  EXPECT_EQ(resume.exit_code, 0) << resume.err;
  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(30), 0) << node.err();

  std::vector<std::string> stops;
  for (const auto& r : journal_lines(dir)) {
    const std::string action = r.value("action", "");
    if (action.rfind("stop.", 0) == 0) stops.push_back(action + " by " + r.value("actor", ""));
  }
  EXPECT_EQ(stops, (std::vector<std::string>{"stop.stopped by op", "stop.resumed by sup"}));
}

// The file a node runs on, with `from` replaced by `to`.
void edit_file(const std::filesystem::path& file, const std::string& from, const std::string& to) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto at = s.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  test::write_file(file, s);
}

bool eventually(const std::function<bool()>& condition, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

TEST(NodeCliTest, SighupAndTheReloadCommandApplyTheFileOrChangeNothing) {
  TempDir dir;
  const auto config = intrusion_node(dir, true, "{realtime: true, loop: true}");
  for (const auto& [name, role] : {std::pair{"op", "operator"}, std::pair{"sup", "supervisor"}}) {
    const auto r = run_command("VIGIE_PASSWORD=" + std::string(name) + "-password " +
                               vigie("user add " + std::string(name) + " --role " + role +
                                     " --config " + config.string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  test::Child node(vigie("run --status-interval 0 --duration 120 --config " + config.string()));
  ASSERT_TRUE(node.wait_for_output("API: http://127.0.0.1:", 30)) << node.err();
  const std::string out = node.out();
  const auto at = out.find("127.0.0.1:") + 10;
  const std::string api = "http://127.0.0.1:" + out.substr(at, out.find('/', at) - at);
  auto as = [&](const std::string& user, const std::string& args) {
    return run_command("VIGIE_PASSWORD=" + user + "-password " +
                       vigie(args + " --api " + api + " --user " + user));
  };

  // SIGHUP (systemctl reload) applies a changed zone; the process keeps running.
  edit_file(config, "person_height_px: 50", "person_height_px: 60");
  node.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return has_action(journal_lines(dir), "config.reloaded"); }, 60))
      << node.err();
  EXPECT_THAT(node.err(), HasSubstr("configuration reloaded by signal"));

  // A file with an error: refused, every error printed, nothing changed, exit status 2.
  edit_file(config, "person_height_px: 60", "person_height_px: -1");
  const auto refused = as("sup", "reload");
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("nothing changed"));
  EXPECT_THAT(refused.err, HasSubstr("person_height_px"));
  const auto operator_refused = as("op", "reload");
  EXPECT_EQ(operator_refused.exit_code, 1);
  EXPECT_THAT(operator_refused.err, HasSubstr("403"));

  edit_file(config, "person_height_px: -1", "person_height_px: 70");
  const auto applied = as("sup", "reload");
  EXPECT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, HasSubstr("camera gate: analysis_changed (zones)"));

  node.signal(SIGTERM);
  EXPECT_EQ(node.wait(30), 0) << "SIGHUP did not end the process: " << node.err();
  std::vector<std::string> reloads;
  for (const auto& r : journal_lines(dir)) {
    const std::string action = r.value("action", "");
    if (action.rfind("config.reload", 0) == 0)
      reloads.push_back(action + " by " + r.value("actor", ""));
  }
  EXPECT_EQ(reloads,
            (std::vector<std::string>{"config.reloaded by signal", "config.reload_refused by sup",
                                      "config.reloaded by sup"}));
}

}  // namespace
}  // namespace vigie

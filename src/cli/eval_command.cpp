// vigie eval: run the engine as fast as possible on annotated clips and score its alerts
// against the ground truth.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "engine/clip_runner.hpp"
#include "eval/metrics.hpp"
#include "eval/privacy_leaks.hpp"
#include "eval/progress.hpp"
#include "eval/report.hpp"
#include "eval/truth.hpp"
#include "synth/scenario.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::cli {
namespace fs = std::filesystem;
namespace {

struct Options {
  std::vector<std::string> paths;
  std::string cameras_dir;
  std::string json_file;
  std::string html_file;
  std::string synth_seeds;  // "100-119"
  std::string synth_dir;
  std::vector<std::string> scenarios;
  std::size_t workers = 0;
  bool quiet = false;
  std::string detector;  // a node configuration with a detector section, or a model file
  bool detector_async = false;
};

/// The detector of --detector: a configuration's `detector:` section, or a model file
/// with every other key at its default.
Result<config::DetectorConfig> detector_for(const std::string& arg, bool async) {
  config::DetectorConfig d;
  const std::string ext = fs::path(arg).extension().string();
  if (ext == ".yaml" || ext == ".yml") {
    const config::LoadResult r = config::load_config_file(arg);
    if (!r.ok()) return invalid_argument(r.error_text(arg));
    if (!r.config->detector) return invalid_argument(arg + ": no enabled detector section");
    d = *r.config->detector;
  } else {
    d.model = arg;
  }
  // Evaluation runs clips as fast as possible: answers are waited for, so that results do
  // not depend on timing, unless asked otherwise.
  d.sync = !async;
  return d;
}

struct Clip {
  eval::TruthClip truth;
  config::CameraConfig camera;
};

/// Folders holding a truth.json: PATH itself, or its sub-folders.
std::vector<fs::path> clip_folders(const fs::path& path) {
  if (fs::exists(path / "truth.json")) return {path};
  std::vector<fs::path> out;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      if (e.is_directory() && fs::exists(e.path() / "truth.json")) out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// The clip's camera.yaml: beside truth.json, else <cameras_dir>/<folder name>/camera.yaml.
Result<config::CameraConfig> camera_for(const fs::path& folder, const std::string& cameras_dir) {
  std::vector<fs::path> candidates{folder / "camera.yaml"};
  if (!cameras_dir.empty()) {
    candidates.push_back(fs::path(cameras_dir) / folder.filename() / "camera.yaml");
    candidates.push_back(fs::path(cameras_dir) / (folder.filename().string() + ".yaml"));
  }
  for (const auto& c : candidates) {
    if (!fs::exists(c)) continue;
    config::CameraLoadResult r = config::load_camera_file(c);
    if (!r.ok()) return invalid_argument(r.error_text(c.string()));
    return std::move(*r.camera);
  }
  return not_found(
      folder.string() + ": no camera.yaml beside truth.json" +
      (cameras_dir.empty() ? std::string(" (use --cameras DIR)") : " nor under " + cameras_dir));
}

Result<std::pair<int, int>> parse_seed_range(const std::string& text) {
  const auto dash = text.find('-');
  try {
    if (dash == std::string::npos) {
      const int s = std::stoi(text);
      return std::make_pair(s, s);
    }
    return std::make_pair(std::stoi(text.substr(0, dash)), std::stoi(text.substr(dash + 1)));
  } catch (const std::exception&) {
    return invalid_argument("--synth-seeds: '" + text + "' is not N or N-M");
  }
}

/// The clip folders to evaluate into `folders`: the synthetic scenes asked for (rendered
/// when missing), then the folders given. 0, or the exit code once the problem is said.
int find_clip_folders(const Options& o, std::vector<fs::path>& folders) {
  if (!o.synth_seeds.empty()) {
    const auto range = parse_seed_range(o.synth_seeds);
    if (!range.is_ok() || range->first > range->second) {
      std::fprintf(stderr, "eval: --synth-seeds: '%s' is not N or N-M with N <= M\n",
                   o.synth_seeds.c_str());
      return 2;
    }
    std::vector<std::string> scenarios = o.scenarios;
    if (scenarios.empty()) {
      for (auto n : synth::scenario_names()) scenarios.emplace_back(n);
    }
    const fs::path root = o.synth_dir.empty() ? fs::path("var/eval-synth") : fs::path(o.synth_dir);
    std::vector<synth::SceneRequest> requests;
    for (int seed = range->first; seed <= range->second; ++seed) {
      for (const auto& s : scenarios) {
        requests.push_back(
            {s, static_cast<std::uint64_t>(seed), root / (s + "-" + std::to_string(seed))});
      }
    }
    if (Status s = synth::ensure_scenes(requests, o.workers); !s.is_ok()) {
      std::fprintf(stderr, "eval: %s\n", s.to_string().c_str());
      return 1;
    }
    for (const auto& r : requests) folders.push_back(r.dir);
  }
  for (const auto& p : o.paths) {
    const auto found = clip_folders(p);
    if (found.empty()) {
      std::fprintf(stderr, "eval: %s: no truth.json there nor in its sub-folders\n", p.c_str());
      return 2;
    }
    folders.insert(folders.end(), found.begin(), found.end());
  }
  if (folders.empty()) {
    std::fprintf(stderr, "eval: give clip folders, or --synth-seeds\n");
    return 2;
  }
  return 0;
}

/// What the analysis cost per frame and, with a detector, what the detector did.
void print_costs(const engine::ClipRuns& all, const engine::ClipRunOptions& run_options,
                 std::uint64_t frames, std::size_t alerts, std::size_t confirmed) {
  if (const auto& st = all.stages; st.frames > 0) {
    const double n = static_cast<double>(st.frames);
    std::printf(
        "analysis cost per frame (ms): background %.2f, blobs %.2f, flow %.2f, fire %.2f, "
        "tracking %.2f, rules %.2f, privacy %.2f; total %.2f (decoding not included)\n",
        st.background_ms / n, st.blobs_ms / n, st.flow_ms / n, st.fire_ms / n, st.track_ms / n,
        st.rules_ms / n, st.privacy_ms / n, st.total_ms() / n);
    if (st.detector_wait_ms > 0) {
      std::printf("  of which the detector, waited for inside rules: %.2f ms per frame\n",
                  st.detector_wait_ms / n);
    }
  }
  if (const auto& d = all.detector) {
    const double each =
        d->inferences > 0 ? d->inference_ms / static_cast<double>(d->inferences) : 0;
    std::printf(
        "detector %s (sha256 %.16s): %llu inferences, %.1f ms each, %.2f per analysed frame; "
        "refused %llu (budget) %llu (queue), dropped %llu (late)\n",
        fs::path(run_options.detection->config().model).filename().c_str(),
        run_options.detection->model_hash().c_str(), static_cast<unsigned long long>(d->inferences),
        each, frames > 0 ? static_cast<double>(d->inferences) / static_cast<double>(frames) : 0.0,
        static_cast<unsigned long long>(d->refused_budget),
        static_cast<unsigned long long>(d->refused_queue),
        static_cast<unsigned long long>(d->dropped_stale));
    std::printf("  %zu of %zu alerts confirmed by the detector (the others decided classically)\n",
                confirmed, alerts);
  }
}

int evaluate(const Options& o) {
  // Per-camera start and end lines would drown the progress bar.
  if (!log_level_override()) spdlog::set_level(spdlog::level::warn);
  // The detector first: a model that does not load is refused before anything is rendered.
  engine::ClipRunOptions run_options;
  if (!o.detector.empty()) {
    auto d = detector_for(o.detector, o.detector_async);
    if (!d.is_ok()) {
      std::fprintf(stderr, "eval: --detector: %s\n", d.status().message().c_str());
      return 2;
    }
    auto service = engine::make_detection_service(*d, SystemClock::instance());
    if (!service.is_ok()) {
      std::fprintf(stderr, "eval: %s\n", service.status().message().c_str());
      return 2;
    }
    run_options.detection = std::move(*service);
  }
  std::vector<fs::path> folders;
  if (const int failed = find_clip_folders(o, folders); failed != 0) return failed;

  std::vector<Clip> clips;
  std::vector<engine::ClipJob> jobs;
  for (const auto& folder : folders) {
    auto truth = eval::load_truth(folder / "truth.json");
    if (!truth.is_ok()) {
      std::fprintf(stderr, "eval: %s\n", truth.status().message().c_str());
      return 2;
    }
    auto camera = camera_for(folder, o.cameras_dir);
    if (!camera.is_ok()) {
      std::fprintf(stderr, "eval: %s\n", camera.status().message().c_str());
      return 2;
    }
    camera->url = truth->path.string();  // the video the truth describes
    camera->name = folder.filename().string();
    jobs.push_back({*camera});
    clips.push_back({std::move(*truth), std::move(*camera)});
  }

  eval::ProgressBar bar(stderr, static_cast<int>(jobs.size()), !o.quiet);
  run_options.workers = o.workers;
  run_options.keep_privacy = std::any_of(clips.begin(), clips.end(),
                                         [](const Clip& c) { return !c.truth.persons.empty(); });
  run_options.on_done = [&](std::size_t done, std::size_t, const std::string& name) {
    bar.update(static_cast<int>(done), name);
  };
  const auto started = std::chrono::steady_clock::now();
  const Result<engine::ClipRuns> ran = engine::run_clips(jobs, run_options);
  bar.finish();
  if (!ran.is_ok()) {
    std::fprintf(stderr, "eval: %s\n", ran.status().to_string().c_str());
    return 1;
  }
  const engine::ClipRuns& all = *ran;
  const auto& runs = all.clips;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<eval::ClipInput> inputs;
  std::uint64_t frames = 0;
  std::size_t alerts = 0, confirmed = 0;  // confirmed: stamped with the detector's model
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const auto& run = runs[i];
    if (run.health.state == CameraState::kFailed) {
      std::fprintf(stderr, "eval: %s: %s\n", clips[i].camera.name.c_str(),
                   run.health.reason.c_str());
      return 1;
    }
    eval::ClipInput in;
    in.truth = clips[i].truth;
    for (const auto& rec : run.alerts) {
      in.alerts.push_back(eval::clip_alert(rec.alert, rec.end_s));
      ++alerts;
      if (!rec.alert.model_hash.empty()) ++confirmed;
    }
    if (clips[i].truth.fps > 0)
      in.duration_s = static_cast<double>(run.health.frames_decoded) / clips[i].truth.fps;
    frames += run.health.frames_analysed;
    inputs.push_back(std::move(in));
  }
  // The leak measure, on clips whose truth has every person's box.
  std::vector<eval::PrivacyCheck> privacy;
  const config::AlertsConfig alert_defaults;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    if (clips[i].truth.persons.empty()) continue;
    eval::PrivacyCheckInput in;
    in.clip = clips[i].camera.name;
    in.truth = &clips[i].truth;
    in.history = &runs[i].privacy;
    for (const auto& rec : runs[i].alerts) in.alerts.push_back(rec.alert);
    in.evidence.clip_before_s = alert_defaults.evidence_before_s;
    in.evidence.clip_after_s = alert_defaults.evidence_after_s;
    privacy.push_back(eval::check_privacy(in));
  }
  auto evaluation = eval::evaluate(std::move(inputs));
  if (!evaluation.is_ok()) {
    std::fprintf(stderr, "eval: %s\n", evaluation.status().message().c_str());
    return 1;
  }
  std::fputs(eval::format_table(*evaluation).c_str(), stdout);
  std::printf("%zu clips, %.2f camera-hours, %llu frames analysed in %.1f s\n", clips.size(),
              evaluation->camera_hours, static_cast<unsigned long long>(frames), wall);
  if (!privacy.empty()) std::fputs(eval::format_privacy(privacy).c_str(), stdout);
  print_costs(all, run_options, frames, alerts, confirmed);
  if (!o.json_file.empty()) {
    nlohmann::ordered_json report = eval::to_json(*evaluation);
    if (!privacy.empty()) report["privacy"] = eval::privacy_to_json(privacy);
    std::ofstream(o.json_file) << report.dump(2) << "\n";
  }
  if (!o.html_file.empty()) {
    std::ofstream(o.html_file) << eval::render_html(*evaluation, "vigie evaluation",
                                                    privacy.empty() ? nullptr : &privacy);
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "eval", "Run the engine on annotated clips as fast as possible and score its alerts.");
  sub->add_option("PATH", opts->paths,
                  "Clip folders (video, truth.json, camera.yaml), or folders of clip folders");
  sub->add_option("--cameras", opts->cameras_dir,
                  "Folder with <clip>/camera.yaml for clips that have none beside them");
  sub->add_option("--json", opts->json_file, "Write the full results as JSON");
  sub->add_option("--html", opts->html_file, "Write a self-contained HTML report");
  sub->add_option("--synth-seeds", opts->synth_seeds,
                  "Also render and evaluate the synthetic scenarios for seeds N or N-M");
  sub->add_option("--synth-dir", opts->synth_dir,
                  "Where synthetic clips are rendered (default var/eval-synth)");
  sub->add_option("--scenario", opts->scenarios, "Synthetic scenarios to include (default: all)");
  sub->add_option("--workers", opts->workers, "Analysis threads (default: one per core)");
  sub->add_flag("--quiet", opts->quiet, "No progress bar");
  sub->add_option("--detector", opts->detector,
                  "Use an object detector: a model file (.onnx, .weights) or a configuration "
                  "file whose detector section to use");
  sub->add_flag("--detector-async", opts->detector_async,
                "Do not wait for the detector's answers (as live cameras do; results then "
                "depend on timing)");
  return {sub, [opts] { return evaluate(*opts); }};
}

}  // namespace vigie::cli

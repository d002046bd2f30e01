#include "engine/camera_analysis.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

namespace vigie::engine {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

bool has_rule(const config::CameraConfig& c, std::initializer_list<EventType> types) {
  for (const auto& r : c.rules) {
    if (!r.enabled) continue;
    for (EventType t : types) {
      if (r.type() == t) return true;
    }
  }
  return false;
}

}  // namespace

StageTimes& StageTimes::operator+=(const StageTimes& o) {
  background_ms += o.background_ms;
  blobs_ms += o.blobs_ms;
  flow_ms += o.flow_ms;
  fire_ms += o.fire_ms;
  track_ms += o.track_ms;
  rules_ms += o.rules_ms;
  privacy_ms += o.privacy_ms;
  detector_wait_ms += o.detector_wait_ms;
  frames += o.frames;
  return *this;
}

double StageTimes::total_ms() const {
  return background_ms + blobs_ms + flow_ms + fire_ms + track_ms + rules_ms + privacy_ms;
}

CameraAnalysis::CameraAnalysis(std::shared_ptr<const config::CameraConfig> camera,
                               std::string config_version, rules::AlertSink sink,
                               std::shared_ptr<DetectionService> detection)
    : camera_(std::move(camera)),
      config_version_(std::move(config_version)),
      sink_(std::move(sink)),
      detection_(std::move(detection)) {}

void CameraAnalysis::build(const Frame& frame) {
  const config::CameraConfig& c = *camera_;
  to_source_ = static_cast<double>(frame.source_width) / frame.bgr.cols;
  const std::optional<Homography> ground = rules::ground_of(c);
  scale_.emplace(rules::person_scale_of(c));
  background_.emplace(perceive::BackgroundConfig{}, c.analysis.fps);
  if (!c.analysis_masks.empty()) {
    analysis_mask_.emplace(c.analysis_masks, to_source_, frame.bgr.size());
  }
  if (has_rule(c, {EventType::kCrowdMovement, EventType::kWrongWay})) {
    perceive::FlowConfig flow_config;
    for (const auto& r : c.rules) {
      if (const auto* crowd = std::get_if<config::CrowdMovementParams>(&r.params)) {
        flow_config.running_speed_mps = crowd->running_speed_m_s;
      }
    }
    std::vector<std::vector<Point>> zones;
    for (const auto& z : c.zones) zones.push_back(z.polygon);
    zones.emplace_back();  // the whole image, last
    flow_.emplace(flow_config, frame.bgr.size(), to_source_, *scale_, zones);
  }
  mark_ghosts_ = has_rule(c, {EventType::kPersonOnGround});
  if (has_rule(c, {EventType::kFire})) fire_.emplace(perceive::FireConfig{});
  tracker_.emplace(nullptr, ground);
  geometry_ = rules::CameraGeometry::from(c, {frame.source_width, frame.source_height});
  // A raised alert is stamped with the wall time of the frame that completed it, so
  // latency is measured from the video, not from whenever the rule happened to run.
  rules::AlertSink stamped = [this](const Alert& a, AlertChange change) {
    if (change != AlertChange::kRaised || !sink_) {
      if (sink_) sink_(a, change);
      return;
    }
    Alert copy = a;
    copy.wall_start = frame_wall_;
    sink_(copy, change);
  };
  if (detection_) {
    const config::DetectorConfig& d = detection_->config();
    const rules::DetectorPolicy policy{d.confirm_timeout_s, d.recheck_s, d.weapon_scan_hz,
                                       detection_->context_share()};
    link_.emplace(policy, detection_->model_hash(),
                  cv::Size(frame.source_width, frame.source_height),
                  [this](const rules::DetectorRequest& r) {
                    if (current_ == nullptr) return false;
                    const auto started = std::chrono::steady_clock::now();
                    const bool accepted = detection_->submit(camera_->id, r, current_->bgr,
                                                             to_source_, current_->source.get());
                    if (detection_->config().sync) {
                      for (auto& a : detection_->take_answers(camera_->id)) link_->deliver(std::move(a));
                      times_.detector_wait_ms += ms_since(started);
                    }
                    return accepted;
                  });
  }
  const rules::RuleContext context{c.id, stamped, config_version_, detection_ != nullptr};
  for (const auto& r : c.rules) {
    if (!r.enabled) continue;
    auto rule = rules::make_rule(r, geometry_, context);
    if (!rule.is_ok()) {
      unavailable_.push_back(rule.status().message());
      spdlog::warn("camera {}: {}", c.id, rule.status().message());
      continue;
    }
    rules_.push_back({r.type(), std::move(rule.value())});
  }
  built_ = true;
}

cv::Rect CameraAnalysis::to_analysis(const cv::Rect2d& box) const {
  return {static_cast<int>(box.x / to_source_), static_cast<int>(box.y / to_source_),
          std::max(1, static_cast<int>(std::ceil(box.width / to_source_))),
          std::max(1, static_cast<int>(std::ceil(box.height / to_source_)))};
}

void CameraAnalysis::drop_lighting(const cv::Mat& frame, const cv::Mat& background,
                                   std::vector<perceive::Blob>& blobs) const {
  std::erase_if(blobs, [&](const perceive::Blob& b) {
    return !perceive::structure_changed(frame, background, to_analysis(b.box));
  });
}

void CameraAnalysis::update_privacy(const Frame& frame, const perceive::ForegroundMasks& masks,
                                    const std::vector<track::Track>& tracks,
                                    const std::vector<perceive::Blob>& moving,
                                    const std::vector<perceive::Blob>& still) {
  // The privacy map hides every region that changed; the boxes add what the analysis took
  // for a person or an object, since a box reaches parts of a body the masks missed.
  std::vector<cv::Rect> boxes;
  std::vector<perceive::FollowedPerson> followed;
  privacy_.persons.clear();
  auto believed_person = [&](const cv::Rect2d& box) {
    privacy_.persons.push_back(box);
    boxes.push_back(to_analysis(box));
  };
  for (const auto& t : tracks) {
    // A track that walked is someone: inside an alert's subject it is still hidden. A
    // flame's flicker or a bag's shape is tracked too, but does not travel.
    const bool walked = t.trajectory.size() >= 2 &&
                        cv::norm(t.trajectory.back().foot - t.trajectory.front().foot) >
                            0.5 * t.box.height;
    if (walked) {
      believed_person(t.box);
      const cv::Rect2d box(t.box.x / to_source_, t.box.y / to_source_, t.box.width / to_source_,
                           t.box.height / to_source_);
      followed.push_back({t.id, box, t.velocity_px_s / to_source_, t.last_seen_s});
    } else {
      boxes.push_back(to_analysis(t.box));
    }
  }
  for (const auto& b : moving) boxes.push_back(to_analysis(b.box));
  for (const auto& b : still) boxes.push_back(to_analysis(b.box));
  if (link_) {
    for (const auto& a : link_->fresh()) {
      for (const auto& d : a.found) {
        if (d.role == perceive::DetectionRole::kPerson) believed_person(d.box);
      }
    }
  }
  // Heights come in source pixels at source feet; the map works in analysis pixels.
  const perceive::PersonHeightAt height = [this](cv::Point2d foot) {
    const auto h = scale_->person_height_px(foot * to_source_);
    return h ? *h / to_source_ : 0.0;
  };
  const perceive::PrivacyRegions regions =
      privacy_map_.update(frame.bgr, masks, boxes, frame.pts_s, height, followed);
  privacy_.pts_s = frame.pts_s;
  privacy_.boxes.clear();
  if (regions.whole_frame) {
    privacy_.boxes.emplace_back(0, 0, frame.source_width, frame.source_height);
    return;
  }
  for (const cv::Rect& r : regions.regions) {
    privacy_.boxes.emplace_back(r.x * to_source_, r.y * to_source_, r.width * to_source_,
                                r.height * to_source_);
  }
  // Nobody inside an analysis mask is ever seen, so nobody there is known to be absent.
  if (analysis_mask_) {
    for (const auto& b : analysis_mask_->source_boxes()) privacy_.boxes.push_back(b);
  }
}

CameraAnalysis::Objects CameraAnalysis::find_objects(const Frame& frame,
                                                     const perceive::ForegroundMasks& masks) {
  const perceive::BlobConfig blob_config;
  Objects out;
  std::vector<perceive::Blob>& moving = out.moving;
  std::vector<perceive::Blob>& still = out.still;
  moving = perceive::find_blobs(masks.moving, to_source_, *scale_, blob_config);
  still = perceive::find_blobs(masks.static_fg, to_source_, *scale_, blob_config);
  // Shapes that only changed light (a flickering lamp's pool, cloud shadows, reflections,
  // the lit sign) keep the background's pattern; they are dropped here, before any rule can
  // take them for a person or an object.
  if (!moving.empty()) {
    const cv::Mat fast_background =
        masks.fast_background.empty() ? background_->fast_background() : masks.fast_background;
    drop_lighting(frame.bgr, fast_background, moving);
    // Someone in view from the start who falls leaves, where they stood, the fast model's
    // ghost of them: an upright shape that is no one standing (person_on_ground).
    if (mark_ghosts_) {
      for (auto& b : moving) {
        if (b.box.height >= b.box.width) {
          b.ghost = perceive::is_ghost(frame.bgr, fast_background, masks.moving, to_analysis(b.box));
        }
      }
    }
  }
  // What the area measures (density) count: moving foreground, and where a static shape is
  // not light, everything the slow model holds there. Not the static map itself: inside a
  // crowd standing still, bodies sway and the fast model flickers on them, which punches
  // holes in the map and made a gathering crowd read thin for seconds. Ghosts count too: a
  // group standing still inside a crowd looks like the people around it, as ground coming
  // back looks like the ground around it, and the ghost test dropped it every few frames; a
  // true ghost adds one person's area at most, until the slow model relearns the ground.
  // The shapes come from the strict static map: with shapes the light merely passed over,
  // a crowd under a cloud's shadow read denser than it was, and raised density early.
  const bool one_static_map = masks.static_strict.data == masks.static_fg.data;
  std::vector<perceive::Blob> strict_still;
  if (!one_static_map) {
    strict_still = perceive::find_blobs(masks.static_strict, to_source_, *scale_, blob_config);
  }
  cv::Mat slow_background = masks.slow_background;
  if (!still.empty() || !strict_still.empty()) {
    if (slow_background.empty()) slow_background = background_->slow_background();
    drop_lighting(frame.bgr, slow_background, still);
    drop_lighting(frame.bgr, slow_background, strict_still);
  }
  cv::Mat& foreground = out.foreground;
  foreground = masks.moving_area.clone();
  const cv::Rect image(0, 0, foreground.cols, foreground.rows);
  std::vector<cv::Rect> static_places;
  for (const auto& b : one_static_map ? still : strict_still) {
    static_places.push_back(to_analysis(b.box) & image);
    foreground(static_places.back()) |= masks.slow_area(static_places.back());
  }
  // The same, with the places where static shapes were in the last seconds: someone who has
  // just stopped in a forming crowd falls in and out of the static map as they sway, until
  // the fast model has absorbed them. What the slow model holds there now still counts, so
  // they stay counted; someone who has left is no longer in the slow model's foreground.
  std::erase_if(recent_static_,
                [&](const auto& place) { return frame.pts_s - place.second > kRecentStaticS; });
  cv::Mat& foreground_held = out.foreground_held;
  foreground_held = foreground;
  if (!recent_static_.empty()) {
    foreground_held = foreground.clone();
    for (const auto& [r, t] : recent_static_) foreground_held(r) |= masks.slow_area(r);
  }
  for (const cv::Rect& r : static_places) recent_static_.emplace_back(r, frame.pts_s);
  // Ghosts (the slow model learned someone who has since left) are no object for the rules.
  std::erase_if(still, [&](const perceive::Blob& b) {
    return perceive::is_ghost(frame.bgr, slow_background, masks.static_fg, to_analysis(b.box));
  });
  return out;
}

void CameraAnalysis::process(const Frame& given, const std::set<EventType>* allowed) {
  if (!built_) build(given);
  // Everything below sees the analysis masks blanked: the background model first.
  Frame blanked;
  if (analysis_mask_ && !analysis_mask_->empty()) {
    blanked = given;
    blanked.bgr = analysis_mask_->apply(given.bgr);
  }
  const Frame& frame = blanked.bgr.empty() ? given : blanked;
  frame_wall_ = frame.wall;
  const double dt = last_t_ < 0 ? 0.0 : frame.pts_s - last_t_;
  last_t_ = frame.pts_s;
  auto start = std::chrono::steady_clock::now();
  const perceive::ForegroundMasks masks = background_->apply(frame.bgr);
  times_.background_ms += ms_since(start);
  if (spdlog::should_log(spdlog::level::trace)) {
    spdlog::trace("masks t={:.1f} moving={:.3f} static_px={} lighting_change={} warming={}",
                  frame.pts_s, masks.moving_fraction,
                  masks.static_fg.empty() ? 0 : cv::countNonZero(masks.static_fg),
                  masks.illumination_change, masks.warming_up);
  }

  start = std::chrono::steady_clock::now();
  Objects objects = find_objects(frame, masks);
  std::vector<perceive::Blob>& moving = objects.moving;
  std::vector<perceive::Blob>& still = objects.still;
  times_.blobs_ms += ms_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<perceive::ZoneFlow> flows;
  if (flow_) flows = flow_->update(frame.bgr, masks.moving, dt);
  times_.flow_ms += ms_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<perceive::FireCandidate> fire;
  if (fire_) {
    static const cv::Mat kNoFlow;
    fire = fire_->update(frame.bgr, masks.moving, flow_ ? flow_->last_flow() : kNoFlow, frame.pts_s,
                         dt, to_source_);
  }
  times_.fire_ms += ms_since(start);

  start = std::chrono::steady_clock::now();
  std::vector<track::Measurement> measurements;
  measurements.reserve(moving.size());
  for (const auto& b : moving) measurements.push_back({b.box, std::nullopt, 1.0});
  const auto& tracks = tracker_->update(frame.pts_s, measurements);
  times_.track_ms += ms_since(start);

  start = std::chrono::steady_clock::now();
  rules::Scene scene;
  scene.t = frame.pts_s;
  scene.source_size = {frame.source_width, frame.source_height};
  scene.tracks = tracks;
  scene.moving = moving;
  scene.static_objects = still;
  scene.flows = flows;
  scene.fire = fire;
  scene.foreground = &objects.foreground;
  scene.foreground_held = &objects.foreground_held;
  scene.to_source = to_source_;
  scene.scale = &*scale_;
  scene.illumination_change = masks.illumination_change;
  scene.warming_up = masks.warming_up;
  if (link_) {
    link_->begin_frame(frame.pts_s);
    for (auto& a : detection_->take_answers(camera_->id)) link_->deliver(std::move(a));
    scene.detector = &*link_;
  }
  current_ = &frame;
  // A view that is no longer the one the zones were drawn on makes every rule wrong.
  static const cv::Mat kNothingMasked;
  const bool view_ok =
      !view_check_
           .update(frame.bgr, analysis_mask_ ? analysis_mask_->mask() : kNothingMasked, frame.pts_s)
           .changed;
  for (auto& [type, rule] : rules_) {
    if (!view_ok) break;
    // Event types outside the camera's authorization are not evaluated at all.
    if (allowed != nullptr && allowed->count(type) == 0) continue;
    rule->evaluate(scene);
  }
  current_ = nullptr;
  times_.rules_ms += ms_since(start);

  start = std::chrono::steady_clock::now();
  update_privacy(frame, masks, tracks, moving, still);
  times_.privacy_ms += ms_since(start);
  ++times_.frames;
}

}  // namespace vigie::engine

#include "evidence/evidence.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <system_error>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/digest.hpp"
#include "evidence/clip_io.hpp"
#include "evidence/h264_encoder.hpp"

namespace vigie::evidence {

namespace fs = std::filesystem;

std::string_view to_string(EvidenceKind kind) {
  switch (kind) {
    case EvidenceKind::kSnapshot: return "snapshot";
    case EvidenceKind::kClip: return "clip";
    case EvidenceKind::kRaw: return "raw";
  }
  return "unknown";
}

namespace {

bool safe_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

/// Which files one decode pass produces; an empty path skips that output.
struct RenderTargets {
  fs::path snapshot;
  fs::path clip;
};

/// What one decode pass produced.
struct Rendered {
  double snapshot_s = 0.0;
  double clip_from_s = 0.0;
  double clip_to_s = 0.0;
};

/// What to burn into every frame, and the time window of the clip.
struct Scene {
  const Alert* alert = nullptr;
  const std::vector<Point>* zone = nullptr;
  const std::vector<std::vector<Point>>* privacy_masks = nullptr;
  const std::vector<TimedBoxes>* persons = nullptr;  ///< null: persons stay visible
};

Point scaled(Point p, double sx, double sy) {
  return {p.x * sx, p.y * sy};
}

std::vector<Point> scaled(const std::vector<Point>& points, double sx, double sy) {
  std::vector<Point> out;
  out.reserve(points.size());
  for (const Point& p : points) out.push_back(scaled(p, sx, sy));
  return out;
}

std::vector<std::vector<Point>> scaled_all(const std::vector<std::vector<Point>>& polygons,
                                           double sx, double sy) {
  std::vector<std::vector<Point>> out;
  out.reserve(polygons.size());
  for (const auto& p : polygons) out.push_back(scaled(p, sx, sy));
  return out;
}

cv::Rect2d scaled(const cv::Rect2d& r, double sx, double sy) {
  return {r.x * sx, r.y * sy, r.width * sx, r.height * sy};
}

/// The nominal frame rate: the stream's own, else counted from the packets.
AVRational frame_rate_of(const ingest::ClipSnapshot& clip) {
  const AVRational r = clip.stream->frame_rate;
  if (r.num > 0 && r.den > 0) return r;
  const double span = clip.to_s - clip.from_s;
  if (clip.packets.size() >= 2 && span > 0) {
    return av_d2q(static_cast<double>(clip.packets.size() - 1) / span, 1000);
  }
  return {10, 1};
}

Status write_bytes(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return unavailable("cannot create " + path.string());
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return unavailable("cannot write " + path.string());
  return Status::ok();
}

/// Flushes a file (or directory) to disk: a rename must never reach the disk before the
/// data it names, or a power cut would leave an empty file under the final name.
Status sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_WRONLY) | O_CLOEXEC);
  if (fd < 0) return unavailable("cannot open " + path.string() + " to sync it");
  const int r = ::fsync(fd);
  ::close(fd);
  if (r != 0) return unavailable("cannot sync " + path.string());
  return Status::ok();
}

fs::path part_path(const fs::path& final_path) {
  // Appending rather than operator+ on a temporary sidesteps a GCC 12 -Wrestrict false
  // positive.
  std::string name = ".";
  name += final_path.filename().string();
  name += ".part";
  return final_path.parent_path() / name;
}

/// Removes temporary files on every exit path that did not rename them.
class PartFiles {
 public:
  PartFiles() = default;
  PartFiles(const PartFiles&) = delete;
  PartFiles& operator=(const PartFiles&) = delete;
  ~PartFiles() {
    for (const fs::path& p : paths_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  fs::path add(const fs::path& final_path) {
    paths_.push_back(part_path(final_path));
    return paths_.back();
  }

 private:
  std::vector<fs::path> paths_;
};

/// Syncs `part`, hashes it and fills in everything but the rename.
Result<EvidenceFile> describe(const fs::path& part, const fs::path& final_path, EvidenceKind kind,
                              bool masked, double from_s, double to_s) {
  Status s = sync_path(part, false);
  if (!s.is_ok()) return s;
  Result<std::string> sha = sha256_file(part);
  if (!sha) return sha.status();
  std::error_code ec;
  const auto size = fs::file_size(part, ec);
  if (ec) return unavailable("cannot stat " + part.string() + ": " + ec.message());
  EvidenceFile f;
  f.kind = kind;
  f.masked = masked;
  f.path = final_path;
  f.sha256 = std::move(*sha);
  f.bytes = static_cast<std::int64_t>(size);
  f.from_s = from_s;
  f.to_s = to_s;
  return f;
}

Status rename_into_place(const fs::path& part, const fs::path& final_path) {
  std::error_code ec;
  fs::rename(part, final_path, ec);
  if (ec) return unavailable("cannot rename " + part.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

PrivacyPlan privacy_plan(const std::vector<TimedBoxes>& history, const Alert& alert, double pts_s,
                         cv::Size source_size, cv::Vec2d scale, const EvidenceOptions& options) {
  const TimedBoxes at = boxes_at(history, pts_s, source_size, options.person_tolerance_s,
                                 options.person_max_gap_s);
  PrivacyPlan plan;
  for (const auto& b : at.boxes) plan.hide.push_back(scaled(b, scale[0], scale[1]));
  for (const auto& b : at.persons) plan.persons.push_back(scaled(b, scale[0], scale[1]));
  plan.subject = scaled(readable_subject(alert), scale[0], scale[1]);
  return plan;
}

namespace {

/// `image` at `size`: one clip has one size, so frames after an in-band resolution change
/// are scaled to the first one's.
Yuv420 resized(const Yuv420& image, cv::Size size) {
  Yuv420 out = Yuv420::make(size);
  cv::resize(image.y, out.y, out.y.size(), 0, 0, cv::INTER_AREA);
  cv::resize(image.u, out.u, out.u.size(), 0, 0, cv::INTER_AREA);
  cv::resize(image.v, out.v, out.v.size(), 0, 0, cv::INTER_AREA);
  return out;
}

/// One decode pass over `clip`: every frame is masked (persons, then privacy masks, which
/// always win); frames inside the window are encoded to targets.clip, and the masked frame
/// nearest the alert's start, annotated, becomes targets.snapshot. Frames stay in the
/// decoder's YUV 4:2:0 from the decoder to x264; only the snapshot is converted to BGR.
Result<Rendered> render(const ingest::ClipSnapshot& clip, const Scene& scene,
                        const RenderTargets& targets, const EvidenceOptions& options) {
  const Alert& alert = *scene.alert;
  const double from_s = alert.start_s - options.clip_before_s;
  const double to_s = alert.start_s + options.clip_after_s;
  const AVRational rate = frame_rate_of(clip);
  // Frames whose time rounds into the window belong to it (timestamps carry jitter).
  const double slack_s = 0.5 / av_q2d(rate);

  H264Settings settings;
  settings.time_base = clip.stream->time_base;
  settings.frame_rate = rate;
  settings.crf = options.crf;
  settings.preset = options.preset.c_str();
  settings.x264_params = options.x264_params;
  std::unique_ptr<H264FileEncoder> encoder;
  double first_encoded_s = 0.0;
  cv::Size encoder_size;
  Rendered rendered;
  Yuv420 snapshot;
  cv::Vec2d snapshot_scale{1.0, 1.0};
  double snapshot_gap = std::numeric_limits<double>::infinity();
  // What the privacy masks cover at the rendered size, computed again only if it changes.
  MaskCover mask;

  auto visit = [&](DecodedFrame& frame) -> Status {
    const bool in_window = !targets.clip.empty() && frame.pts_s >= from_s - slack_s &&
                           frame.pts_s <= to_s + slack_s;
    const bool nearer_snapshot =
        !targets.snapshot.empty() && std::abs(frame.pts_s - alert.start_s) < snapshot_gap;
    // Frames before the window are decoded only to reach it: nothing is drawn on them.
    if (!in_window && !nearer_snapshot) return Status::ok();
    Yuv420& image = frame.yuv;
    const double sx = static_cast<double>(image.size().width) / frame.source_size.width;
    const double sy = static_cast<double>(image.size().height) / frame.source_size.height;
    if (scene.persons != nullptr) {
      apply_privacy(
          image,
          privacy_plan(*scene.persons, alert, frame.pts_s, frame.source_size, {sx, sy}, options),
          options.pixelate);
    }
    if (mask.luma.size() != image.size()) {
      mask = mask_cover(image.size(), scaled_all(*scene.privacy_masks, sx, sy));
    }
    burn_privacy_masks(image, mask);

    // Kept for the snapshot by swapping buffers with the decoder once it is encoded;
    // annotated at the end, once: a nearer frame may still replace this one.
    auto keep_for_snapshot = [&] {
      if (!nearer_snapshot) return;
      snapshot_gap = std::abs(frame.pts_s - alert.start_s);
      rendered.snapshot_s = frame.pts_s;
      snapshot_scale = {sx, sy};
      std::swap(snapshot, image);
    };
    if (!in_window) {
      keep_for_snapshot();
      return Status::ok();
    }
    if (!encoder) {
      auto opened = H264FileEncoder::open(targets.clip, image.size(), settings);
      if (!opened) return opened.status();
      encoder = std::move(*opened);
      first_encoded_s = frame.pts_s;
      encoder_size = image.size();
      rendered.clip_from_s = frame.pts_s;
    }
    rendered.clip_to_s = frame.pts_s;
    const auto pts = static_cast<std::int64_t>(
        std::llround((frame.pts_s - first_encoded_s) / av_q2d(settings.time_base)));
    Status written = image.size() != encoder_size
                         ? encoder->write(resized(image, encoder_size), pts)
                         : encoder->write(image, pts);
    keep_for_snapshot();
    return written;
  };

  Result<DecodeStats> stats = decode_clip(clip, visit, options.render_width, PixelLayout::kYuv420);
  if (!stats) return stats.status();
  if (!targets.clip.empty()) {
    if (!encoder) {
      return Status(StatusCode::kFailedPrecondition,
                    fmt::format("no frame of the clip ({:.2f}..{:.2f} s) lies in the window "
                                "{:.2f}..{:.2f} s",
                                clip.from_s, clip.to_s, from_s, to_s));
    }
    Status s = encoder->close();
    if (!s.is_ok()) return s;
  }
  if (!targets.snapshot.empty()) {
    Alert local = alert;
    const double sx = snapshot_scale[0], sy = snapshot_scale[1];
    local.region = scaled(alert.region, sx, sy);
    local.polygon = scaled(alert.polygon, sx, sy);
    cv::Mat bgr = snapshot.empty() ? cv::Mat() : to_bgr(snapshot);
    if (!bgr.empty()) draw_alert_annotation(bgr, local, scaled(*scene.zone, sx, sy));
    std::vector<std::uint8_t> jpeg;
    const std::vector<int> params{cv::IMWRITE_JPEG_QUALITY,
                                  std::clamp(options.jpeg_quality, 0, 100)};
    if (bgr.empty() || !cv::imencode(".jpg", bgr, jpeg, params)) {
      return internal_error("cannot encode the snapshot");
    }
    Status s = write_bytes(targets.snapshot, jpeg);
    if (!s.is_ok()) return s;
  }
  return rendered;
}

std::string what(const Alert& alert) {
  return fmt::format("camera {} alert {} at {:.2f} s", alert.camera, alert.id, alert.start_s);
}

}  // namespace

Result<fs::path> evidence_dir(const fs::path& root, const std::string& camera,
                              const std::string& alert_id) {
  if (!safe_name(camera)) return invalid_argument("unsafe camera id for a path: '" + camera + "'");
  if (!safe_name(alert_id))
    return invalid_argument("unsafe alert id for a path: '" + alert_id + "'");
  return root / camera / alert_id;
}

Result<std::vector<EvidenceFile>> write_evidence(const EvidenceRequest& request,
                                                 const fs::path& dir,
                                                 const EvidenceOptions& options) {
  const Alert& alert = request.alert;
  if (request.clip.empty() || !request.clip.stream) {
    return Status(StatusCode::kFailedPrecondition, "no packets in ring for " + what(alert));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());

  const fs::path snapshot_path = dir / "snapshot.jpg";
  const fs::path clip_path = dir / "clip.mp4";
  const fs::path raw_path = dir / "raw.mp4";
  PartFiles parts;
  const RenderTargets targets{parts.add(snapshot_path), parts.add(clip_path)};
  const fs::path raw_part = parts.add(raw_path);

  Status s = ingest::write_mp4(request.clip, raw_part.string());
  if (!s.is_ok()) return Status(s.code(), s.message() + " (" + what(alert) + ")");
  const Scene scene{&alert, &request.zone, &request.privacy_masks, &request.persons};
  Result<Rendered> rendered = render(request.clip, scene, targets, options);
  if (!rendered) {
    const Status e = rendered.status();
    return Status(e.code(), e.message() + " (" + what(alert) + ")");
  }

  std::vector<EvidenceFile> files;
  struct Out {
    fs::path part;
    fs::path final_path;
    EvidenceKind kind;
    bool masked;
    double from_s;
    double to_s;
  };
  const Out outs[] = {
      {targets.snapshot, snapshot_path, EvidenceKind::kSnapshot, true, rendered->snapshot_s,
       rendered->snapshot_s},
      {targets.clip, clip_path, EvidenceKind::kClip, true, rendered->clip_from_s,
       rendered->clip_to_s},
      {raw_part, raw_path, EvidenceKind::kRaw, false, request.clip.from_s, request.clip.to_s},
  };
  for (const Out& o : outs) {
    Result<EvidenceFile> f = describe(o.part, o.final_path, o.kind, o.masked, o.from_s, o.to_s);
    if (!f) return f.status();
    files.push_back(std::move(*f));
  }
  for (const Out& o : outs) {
    s = rename_into_place(o.part, o.final_path);
    if (!s.is_ok()) return s;
  }
  s = sync_path(dir, true);
  if (!s.is_ok()) return s;
  return files;
}

Result<EvidenceFile> render_unmasked(const UnmaskedRequest& request, EvidenceKind kind,
                                     const fs::path& out, const EvidenceOptions& options) {
  if (kind == EvidenceKind::kRaw) {
    return invalid_argument("the raw clip is never rendered: ask for a snapshot or a clip");
  }
  Result<ingest::ClipSnapshot> clip = read_clip(request.raw_clip, request.raw_from_s);
  if (!clip) return clip.status();
  if (!out.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    if (ec) return unavailable("cannot create " + out.parent_path().string() + ": " + ec.message());
  }
  PartFiles parts;
  RenderTargets targets;
  (kind == EvidenceKind::kSnapshot ? targets.snapshot : targets.clip) = parts.add(out);
  const Scene scene{&request.alert, &request.zone, &request.privacy_masks, nullptr};
  Result<Rendered> rendered = render(*clip, scene, targets, options);
  if (!rendered) return rendered.status();
  const bool snap = kind == EvidenceKind::kSnapshot;
  Result<EvidenceFile> f = describe(part_path(out), out, kind, false,
                                    snap ? rendered->snapshot_s : rendered->clip_from_s,
                                    snap ? rendered->snapshot_s : rendered->clip_to_s);
  if (!f) return f;
  Status s = rename_into_place(part_path(out), out);
  if (!s.is_ok()) return s;
  return f;
}

}  // namespace vigie::evidence

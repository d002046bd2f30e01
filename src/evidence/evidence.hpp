#pragma once
// Evidence for one alert, what an operator checks before acting: an annotated JPEG snapshot
// and an MP4 clip around the alert's start, with persons pixelated and the camera's privacy
// masks burned in, plus the raw clip (a remux of the camera's own packets) kept privately so
// that an authorised unmasked view can be rendered later. docs/evidence.md has the details.
//
// The renderers are synchronous and depend only on their inputs; EvidenceWriter runs them
// on its own thread. None of them may run on a pipeline worker: a clip takes about a second.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert.hpp"
#include "core/geometry.hpp"
#include "core/status.hpp"
#include "evidence/overlay.hpp"
#include "evidence/person_history.hpp"
#include "ingest/packet_ring.hpp"

namespace vigie::evidence {

/// What is rendered, and how.
struct EvidenceOptions {
  /// The clip covers [alert.start_s - clip_before_s, alert.start_s + clip_after_s]. The
  /// caller snapshots the ring once the stream reaches the end of that window, so the
  /// camera's ring must hold at least clip_before_s + clip_after_s seconds.
  double clip_before_s = 5.0;
  double clip_after_s = 10.0;       ///< see clip_before_s
  int jpeg_quality = 85;            ///< snapshot JPEG quality (0..100)
  int crf = 28;                     ///< x264 constant rate factor of rendered clips
  std::string preset = "veryfast";  ///< x264 preset of rendered clips
  /// x264 options over the preset (key=value, ':' between). The default motion search
  /// (diamond, one subpixel pass) takes a fifth off x264's time at 640 px with the same
  /// quality (SSIM against the source 0.961 against the preset's 0.962) and a clip about
  /// 12 % larger (docs/performance.md).
  std::string x264_params = "me=dia:subme=1";
  /// Rendered snapshots and clips are at most this wide (0: the source's width). An
  /// operator checks a situation at this size; the raw copy keeps every source pixel, and
  /// encoding a 720p or 1080p clip in full would cost several seconds of CPU per alert.
  int render_width = 640;
  PixelateOptions pixelate;         ///< how persons are hidden
  /// A frame hides what the analysed frames just before and after it hid, and those within
  /// this time (see boxes_at).
  double person_tolerance_s = 0.5;
  /// A frame farther than this from every analysed frame is hidden whole: nothing is known
  /// of who is in it.
  double person_max_gap_s = 2.0;
};

/// What a frame at `pts_s` of `alert`'s evidence hides, from the camera's history (source
/// pixels of a `source_size` frame) scaled by `scale` to the rendered image: the one
/// computation behind every stored image and the leak measure of `vigie eval`.
PrivacyPlan privacy_plan(const std::vector<TimedBoxes>& history, const Alert& alert, double pts_s,
                         cv::Size source_size, cv::Vec2d scale, const EvidenceOptions& options);

/// The three stored files of an alert.
enum class EvidenceKind {
  kSnapshot,  ///< snapshot.jpg: annotated frame nearest the alert's start
  kClip,      ///< clip.mp4: the rendered (re-encoded) clip
  kRaw,       ///< raw.mp4: the camera's packets remuxed; private, never served as is
};
/// "snapshot", "clip" or "raw".
std::string_view to_string(EvidenceKind kind);

/// Everything needed to render one alert's evidence; built by the caller, then owned by
/// the renderer (the packets are shared, reference-counted, with the ring).
struct EvidenceRequest {
  Alert alert;                                    ///< id, camera, type, start_s, region, polygon
  std::vector<Point> zone;                        ///< outline drawn on the snapshot; may be empty
  std::vector<std::vector<Point>> privacy_masks;  ///< source pixels; always burned in
  ingest::ClipSnapshot clip;                      ///< packets covering the clip window
  std::vector<TimedBoxes> persons;                ///< person boxes over the window, by time
};

/// One stored file, with what the caller journals about it.
struct EvidenceFile {
  EvidenceKind kind = EvidenceKind::kSnapshot;
  bool masked = true;  ///< persons pixelated (privacy masks are burned in every rendering)
  std::filesystem::path path;
  std::string sha256;  ///< lowercase hex of the file's bytes
  std::int64_t bytes = 0;
  double from_s = 0.0;  ///< stream time of the first frame (the frame itself for a snapshot)
  double to_s = 0.0;    ///< stream time of the last frame
};

/// `<root>/<camera>/<alert id>`; kInvalidArgument when either name could escape the root
/// or hide a file (empty, ".", "..", a leading dot, or a character outside [A-Za-z0-9._-]).
Result<std::filesystem::path> evidence_dir(const std::filesystem::path& root,
                                           const std::string& camera, const std::string& alert_id);

/// Writes snapshot.jpg (masked), clip.mp4 (masked) and raw.mp4 into `dir` (created if
/// needed), all or nothing: each is written under a temporary name, synced, and renamed only
/// when all three succeeded. Returns them in that order. kFailedPrecondition when the clip
/// has no packets or none in the window, kDataLoss when nothing decodes.
Result<std::vector<EvidenceFile>> write_evidence(const EvidenceRequest& request,
                                                 const std::filesystem::path& dir,
                                                 const EvidenceOptions& options = {});

/// What an unmasked rendering needs: the stored raw clip and the annotation of its alert.
struct UnmaskedRequest {
  Alert alert;
  std::vector<Point> zone;
  std::vector<std::vector<Point>> privacy_masks;  ///< still burned in: never shown
  std::filesystem::path raw_clip;                 ///< a raw.mp4 written by write_evidence
  double raw_from_s = 0.0;                        ///< that file's EvidenceFile::from_s
};

/// Renders a snapshot (JPEG) or clip (MP4) from the raw clip with privacy masks burned in
/// and persons left visible, to `out` (through a temporary name). Access control and
/// journaling belong to the caller. kInvalidArgument for kRaw.
Result<EvidenceFile> render_unmasked(const UnmaskedRequest& request, EvidenceKind kind,
                                     const std::filesystem::path& out,
                                     const EvidenceOptions& options = {});

}  // namespace vigie::evidence

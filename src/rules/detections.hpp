#pragma once
// The rules' side of the optional object detector. Analysis never waits for it: a rule
// asks about a candidate (a track, a static object) and gets a verdict now; the question
// goes to the shared detection service and its answer arrives on a later frame (or before
// the call returns, in synchronous mode). The policy each rule applies to a verdict is in
// docs/detector.md.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "perceive/detector.hpp"

namespace vigie::rules {

using perceive::Detection;
using perceive::DetectionRole;

/// Why a region is shown to the detector. A count only refines an estimate the rule already
/// has, so it goes last: it never takes the camera's last token or the queue's second half
/// (engine/detection_service.hpp), which stay for the questions an alert may wait on.
enum class DetectorPurpose {
  kConfirm,  ///< is this candidate what the rule thinks?
  kScan,     ///< what is around this person? (weapons)
  kCount,    ///< how many people are here? (density)
};

/// How the region is shown to the detector. Models trained on people standing seldom see
/// someone lying across the view; turned a quarter, the body stands up in the picture.
enum class Turn {
  kNone,
  kClockwise,         ///< the region's left edge becomes the top
  kCounterClockwise,  ///< the region's right edge becomes the top
};

/// One question to the detector: what is in `region` of the frame at `t`?
struct DetectorRequest {
  std::uint64_t id = 0;
  cv::Rect2d region;  ///< source pixels; the service crops it (or takes the whole frame)
  double t = 0;       ///< stream time of the frame
  DetectorPurpose purpose = DetectorPurpose::kConfirm;
  Turn turn = Turn::kNone;  ///< the answer's boxes are in source pixels all the same
};

/// The answer: every detection in the request's region, in source pixels.
struct DetectorAnswer {
  std::uint64_t id = 0;
  cv::Rect2d region;
  double t = 0;  ///< stream time of the frame the detector looked at
  DetectorPurpose purpose = DetectorPurpose::kConfirm;
  std::vector<Detection> found;
  /// Network-input pixels per source pixel in this look: how large a candidate appeared to
  /// the model (0: unknown).
  double scale = 0;
};

/// What the detector says about a candidate.
enum class Verdict {
  kPending,       ///< asked, not answered yet: hold the candidate
  kTimedOut,      ///< not answered within the timeout (or refused by the budget): classical
  kConfirmed,     ///< it sees the wanted role on the candidate
  kContradicted,  ///< it sees the contradicting role there (a person where a bag was expected)
  kUnseen,        ///< it looked and saw neither
  kTooSmall,      ///< it looked and saw neither, but the candidate was too small for it to
                  ///< see: not evidence either way, the classical decision stands
};

/// A candidate shorter than this many network-input pixels is below what these small
/// detectors find reliably (their finest stride is 8 px): not seeing it says nothing.
inline constexpr double kMinVisibleInputPx = 32;

struct DetectorPolicy {
  double confirm_timeout_s = 2.0;  ///< unanswered this long: kTimedOut
  double recheck_s = 3.0;          ///< an answer older than this is asked again
  double scan_hz = 0.5;            ///< weapon scans per second
  /// What the model is shown around a candidate (perceive::Detector::context_share).
  double context_share = 0.5;
};

/// Per camera: questions asked, answers received. Single-threaded: the camera's thread.
class DetectorLink {
 public:
  /// Hands a request to the detection service; false when refused (queue full, over
  /// budget). May deliver() the answer before returning (synchronous mode).
  using Submit = std::function<bool(const DetectorRequest&)>;

  /// `source`: the camera's source size (requests are clipped to it).
  DetectorLink(DetectorPolicy policy, std::string model_hash, cv::Size source, Submit submit);

  /// Starts a frame: answers delivered before the next begin_frame() are this frame's.
  void begin_frame(double t);
  /// An answer from the service (for a request of this link).
  void deliver(DetectorAnswer answer);
  /// Answers delivered during this frame, in delivery order.
  [[nodiscard]] std::span<const DetectorAnswer> fresh() const { return fresh_; }

  /// The verdict about candidate `key` (stable while the candidate lasts: a track id, an
  /// object id) whose box is `box` (source pixels) at time t: kConfirmed when a detection of
  /// role `want` covers it, kContradicted when one of role `against` does. Asks the detector
  /// when no answer about the key is newer than recheck_s (an older answer still counts until
  /// the new one arrives).
  Verdict confirm(const std::string& key, const cv::Rect2d& box, DetectionRole want,
                  DetectionRole against, double t, Turn turn = Turn::kNone);
  /// As confirm(), for someone lying across the view: the region is shown turned a quarter
  /// each way (the head may lie on either side), and the two looks give one verdict: the
  /// first of confirmed, pending, contradicted, timed out, unseen and too small that either
  /// look gives. One look seeing the person is enough; one look unanswered leaves the
  /// classical decision, as one unanswered question does.
  Verdict confirm_lying(const std::string& key, const cv::Rect2d& box, DetectionRole want,
                        DetectionRole against, double t);
  /// Asks the detector to look at `region` (weapon scans, people counts); the answer comes
  /// through fresh() with the id returned here. Nothing when the service refused.
  std::optional<std::uint64_t> scan(const cv::Rect2d& region, double t,
                                    DetectorPurpose purpose = DetectorPurpose::kScan);

  [[nodiscard]] const DetectorPolicy& policy() const { return policy_; }
  [[nodiscard]] const std::string& model_hash() const { return model_hash_; }

 private:
  struct Ask {
    cv::Rect2d box;
    double t_asked = 0;  ///< when the question was first asked
    double last_used = 0;
    std::uint64_t sent_id = 0;  ///< 0: not accepted by the service yet
    std::optional<DetectorAnswer> answer;
  };
  bool send(const std::string& key, Ask& ask, const cv::Rect2d& region, double t, Turn turn);
  static Verdict judge(const DetectorAnswer& a, const cv::Rect2d& box, DetectionRole want,
                       DetectionRole against);

  DetectorPolicy policy_;
  std::string model_hash_;
  cv::Size source_;
  Submit submit_;
  std::uint64_t next_id_ = 1;
  double now_ = 0;
  std::map<std::string, Ask> asks_;               ///< by candidate key
  std::map<std::uint64_t, std::string> waiting_;  ///< request id -> key
  std::vector<DetectorAnswer> fresh_;
};

/// The region shown to the detector for a candidate box: the box with `share` of its larger
/// side around it on each side (detectors need some context), clipped to the image.
cv::Rect2d context_region(const cv::Rect2d& box, cv::Size source, double share = 0.5);

/// How much of `box` a detection covers, or the detection `box` covers: the larger share.
double cover(const cv::Rect2d& box, const cv::Rect2d& detection);

}  // namespace vigie::rules

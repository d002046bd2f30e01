#pragma once
// The validated configuration of a vigie node. Built only by the parser in loader.hpp,
// so every instance satisfies the bounds documented beside each field's parser
// (schema.cpp) and in config/example.yaml.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/rule_params.hpp"
#include "core/event_type.hpp"
#include "core/frame.hpp"
#include "core/geometry.hpp"
#include "core/hwaccel.hpp"

namespace vigie::config {

enum class RtspTransport { kTcp, kUdp };

/// How the camera's frames are analysed.
struct AnalysisConfig {
  double fps = 5.0;  ///< frames analysed per second
  int width = 320;   ///< width of the analysis image; height keeps the aspect ratio
};

/// How the camera's stream is read.
struct InputConfig {
  RtspTransport rtsp_transport = RtspTransport::kTcp;
  double connect_timeout_s = 5.0;
  double read_timeout_s = 10.0;
  double stall_after_s = 3.0;
  bool realtime = true;  ///< files: play at real-time pace (false: as fast as possible)
  bool loop = false;     ///< files: start again at the end
  bool skip_loop_filter =
      true;  ///< decoder: skip the deblocking filter (cheaper, fine for analysis)
  bool skip_non_reference = false;  ///< decoder: drop non-reference frames
  double ring_seconds = 20.0;       ///< compressed packets kept for evidence clips
  double backoff_max_s = 30.0;      ///< longest wait between reconnection attempts
  int queue_packets = 100;          ///< packets buffered between reading and decoding
  /// decoder: hardware device to try; software when it is missing
  HwAccel hwaccel = HwAccel::kNone;
};

/// Four image points (source pixels) and where they lie on the ground (metres).
struct Calibration {
  std::vector<Point> image;
  std::vector<Point> ground;
};

/// A polygon of the image, with optional direction and scale hints.
struct Zone {
  std::string id;
  std::string name;
  std::vector<Point> polygon;
  std::optional<Point> allowed_direction;  ///< image-space vector; movement against it is wrong way
  std::optional<double> person_height_px;  ///< expected standing height where uncalibrated
};

/// A tripwire: crossing the segment (in `direction`, or either way) is an event.
struct Line {
  std::string id;
  std::string name;
  Point a;
  Point b;
  std::optional<Point> direction;  ///< image-space vector of the alerting crossing; none: both ways
};

/// Turns an event type on for a camera, optionally limited to some zones or lines, with the
/// rule's parameters: the common ones here, its type's own in `params` (rule_params.hpp,
/// where each type declares its keys, defaults and bounds).
struct RuleConfig {
  bool enabled = true;
  std::vector<std::string> zones;  ///< zone or line ids; empty means the whole image

  // Alert hygiene, every type; rule_defaults() starts from the type's own Hygiene.
  double inertia_s = 1.0;    ///< condition holds this long before an alert
  double clear_s = 3.0;      ///< ... and is false this long before the situation ends
  double cooldown_s = 30.0;  ///< no new alert for the same zone within this after an end

  RuleParams params;  ///< its alternative is the rule's type

  /// The event type, which is that of `params`.
  [[nodiscard]] EventType type() const {
    return std::visit([](const auto& p) { return p.kType; }, params);
  }
};

/// A rule of the given type with every default: its hygiene and its parameters.
RuleConfig rule_defaults(EventType type);

/// The numeric parameters of the rule, hygiene first then its type's own, by key, for
/// alerts, the journal and the configuration dump.
std::vector<std::pair<std::string, double>> rule_parameters(const RuleConfig& rule);
/// The keys among rule_parameters() that are whole numbers (a count of frames): a dump writes
/// them without a decimal point, so that it loads again.
std::vector<std::string> integer_parameter_keys(const RuleConfig& rule);

/// The identifier-list parameters of the rule's type (e.g. exclude_zones), by key.
std::vector<std::pair<std::string, std::vector<std::string>>> rule_lists(const RuleConfig& rule);

/// The keys of a rule type's own parameters, in declaration order.
std::vector<std::string> parameter_keys(EventType type);

struct CameraConfig {
  CameraId id;
  std::string name;
  std::string url;  ///< may hold credentials: print only redact_url(url)
  bool enabled = true;
  AnalysisConfig analysis;
  InputConfig input;
  std::optional<Calibration> calibration;
  std::vector<Zone> zones;
  std::vector<Line> lines;
  std::vector<RuleConfig> rules;
  /// Privacy masks: image polygons that are never shown unmasked.
  std::vector<std::vector<Point>> privacy_masks;
  /// Analysis masks: image polygons no rule analyses (blanked before the background model).
  std::vector<std::vector<Point>> analysis_masks;
  /// Calibration mode: alerts are recorded and counted but not shown to operators.
  bool calibration_mode = false;
  /// Share of a node's work this camera counts for when nodes balance cameras (postgres).
  double weight = 1.0;
};

enum class StorageBackend { kSqlite, kPostgres };

struct StorageConfig {
  StorageBackend backend = StorageBackend::kSqlite;
  std::string data_dir = "/var/lib/vigie";
  std::string postgres_url;  ///< secret
  std::string postgres_password_file;  ///< first line is the PostgreSQL password; may be empty
  int evidence_days = 30;    ///< can be lowered, never raised above 30
  int journal_months = 12;
};

/// This node among the nodes sharing one PostgreSQL database (camera leases).
struct NodeConfig {
  std::string id;          ///< empty: the host name
  double heartbeat_s = 2;  ///< how often leases are renewed
  double lease_s = 10;     ///< a lease not renewed this long is free for another node
};

struct ApiConfig {
  std::string listen = "127.0.0.1";
  int port = 8080;
  std::string tls_cert;
  std::string tls_key;
  std::string console_dir;      ///< static console files served at /; empty: a placeholder page
  bool metrics_public = false;  ///< serve /metrics even when not bound to a loopback address
  std::string metrics_token;    ///< secret; when set, /metrics needs it as a bearer token
  std::string admin_user;       ///< created as an admin at start when absent (first run)
  std::string admin_password;   ///< secret; only used to create admin_user
};

struct MqttConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;
  std::string password;  ///< secret
  std::string topic_prefix = "vigie";
  bool tls = false;
  std::string client_id;  ///< empty: "vigie-<hostname>"
  int keepalive_s = 30;   ///< seconds between pings when nothing else is sent
  std::string ca_file;    ///< tls: PEM CA bundle; empty: the system's CAs
  std::string cert_file;  ///< tls: PEM client certificate, with key_file
  std::string key_file;   ///< tls: PEM client private key
};

/// An HTTP endpoint that receives every alert (or those of some types) as signed JSON.
struct WebhookConfig {
  std::string url;     ///< http:// or https://; may hold a token: print only its host
  std::string secret;  ///< secret: HMAC-SHA256 key of the X-Vigie-Signature header
  std::vector<EventType> event_types;  ///< empty: every type
};

struct Authorization {
  std::string reference;  ///< reference of the prefectoral order
  std::vector<CameraId> cameras;
  std::vector<EventType> event_types;
  std::string start;  ///< ISO 8601
  std::string end;    ///< ISO 8601
  std::string controller;
};

/// How alerts are handled once raised.
struct AlertsConfig {
  /// Reason codes an operator picks from when dismissing an alert.
  std::vector<std::string> reason_codes = {"reflection_or_light", "object", "person_resting",
                                           "animal", "duplicate", "other"};
  double update_interval_s = 5.0;  ///< an ongoing alert is re-stored at most this often
  double evidence_before_s = 5.0;  ///< evidence clip: seconds before the alert
  double evidence_after_s = 10.0;  ///< ... and after
  /// The operator who gave a verdict may take it back this long after giving it.
  double verdict_undo_s = 10.0;
  /// Measures an operator ticks when confirming an alert, per event type (identifiers the
  /// console translates); free text goes with them.
  std::map<EventType, std::vector<std::string>> measures = default_measures();

  static std::map<EventType, std::vector<std::string>> default_measures();
};

/// What the operator console shows and how insistently; sent to it by the API.
struct ConsoleConfig {
  /// A critical alert (weapon, fire, person on the ground) waiting this long unopened is
  /// escalated: its banner and queue row turn to an alarm.
  double escalate_after_s = 60.0;
  /// A muted (non-critical) event type is heard again after this many minutes.
  double mute_minutes = 15.0;
};
/// Which model classes mean what to vigie. Ids are the model's class indices (COCO by
/// default); a class in no list is ignored.
struct DetectorClasses {
  std::vector<int> person = {0};
  std::vector<int> bag = {24, 26, 28};     ///< backpack, handbag, suitcase
  std::vector<int> weapon = {34, 43};      ///< baseball bat, knife (COCO has no firearm)
  std::vector<int> vehicle = {2, 5, 7};    ///< car, bus, truck
};

/// The optional object detector: it confirms what classical vision proposes and is the
/// only way to see weapons. Shared by every camera of the node.
struct DetectorConfig {
  bool enabled = true;
  std::string model;        ///< .onnx, or Darknet .weights; resolved against the config's folder
  std::string config_file;  ///< Darknet .cfg; empty: the model's path with .cfg
  std::string kind = "auto";  ///< auto (from the file), yolox, fastestdet or darknet
  int input_size = 0;         ///< square network input; 0: the model's own
  double score_threshold = 0;  ///< 0: the model family's own (YOLOX 0.3, FastestDet 0.65, Darknet 0.25)
  double nms_iou = 0.45;
  int threads = 1;        ///< OpenCV threads per inference
  int workers = 1;        ///< inference threads
  int queue_size = 32;    ///< requests waiting, all cameras together
  double camera_rate_hz = 2;   ///< inferences per second and camera
  double global_rate_hz = 10;  ///< inferences per second, whole node
  double confirm_timeout_s = 2;  ///< unanswered this long: the classical decision stands
  double recheck_s = 3;          ///< an answer about a candidate is asked again after this
  double weapon_scan_hz = 0.5;   ///< scans around persons per second and camera (weapon rule)
  bool sync = false;  ///< answer inside the frame that asks (evaluation: deterministic)
  DetectorClasses classes;
};

struct Config {
  std::string log_level = "info";
  std::vector<CameraConfig> cameras;
  NodeConfig node;
  StorageConfig storage;
  AlertsConfig alerts;
  ApiConfig api;
  ConsoleConfig console;
  MqttConfig mqtt;
  std::vector<WebhookConfig> webhooks;
  std::vector<Authorization> authorizations;
  std::optional<DetectorConfig> detector;  ///< absent or disabled: no detector
};

}  // namespace vigie::config

#pragma once
// The validated configuration of a vigie node. Built only by the parser in loader.hpp,
// so every instance satisfies the bounds documented beside each field's parser
// (schema.cpp) and in config/example.yaml.

#include <optional>
#include <string>
#include <vector>

#include "core/event_type.hpp"
#include "core/frame.hpp"
#include "core/geometry.hpp"

namespace vigie::config {

enum class RtspTransport { kTcp, kUdp };

/// How the camera's frames are analysed.
struct AnalysisConfig {
  double fps = 5.0;   ///< frames analysed per second
  int width = 320;    ///< width of the analysis image; height keeps the aspect ratio
};

/// How the camera's stream is read.
struct InputConfig {
  RtspTransport rtsp_transport = RtspTransport::kTcp;
  double connect_timeout_s = 5.0;
  double read_timeout_s = 10.0;
  double stall_after_s = 3.0;
  bool realtime = true;          ///< files: play at real-time pace (false: as fast as possible)
  bool loop = false;             ///< files: start again at the end
  bool skip_loop_filter = true;  ///< decoder: skip the deblocking filter (cheaper, fine for analysis)
  bool skip_non_reference = false;  ///< decoder: drop non-reference frames
  double ring_seconds = 10.0;    ///< compressed packets kept for evidence clips
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

/// Turns an event type on for a camera, optionally limited to some zones or lines.
struct RuleConfig {
  EventType type = EventType::kIntrusion;
  bool enabled = true;
  std::vector<std::string> zones;  ///< zone or line ids; empty means the whole image
};

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
};

enum class StorageBackend { kSqlite, kPostgres };

struct StorageConfig {
  StorageBackend backend = StorageBackend::kSqlite;
  std::string data_dir = "/var/lib/vigie";
  std::string postgres_url;  ///< secret
  int evidence_days = 30;    ///< can be lowered, never raised above 30
  int journal_months = 12;
};

struct ApiConfig {
  std::string listen = "127.0.0.1";
  int port = 8080;
  std::string tls_cert;
  std::string tls_key;
};

struct MqttConfig {
  bool enabled = false;
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;
  std::string password;  ///< secret
  std::string topic_prefix = "vigie";
  bool tls = false;
};

struct Authorization {
  std::string reference;  ///< reference of the prefectoral order
  std::vector<CameraId> cameras;
  std::vector<EventType> event_types;
  std::string start;  ///< ISO 8601
  std::string end;    ///< ISO 8601
  std::string controller;
};

struct Config {
  std::string log_level = "info";
  std::vector<CameraConfig> cameras;
  StorageConfig storage;
  ApiConfig api;
  MqttConfig mqtt;
  std::vector<Authorization> authorizations;
};

}  // namespace vigie::config

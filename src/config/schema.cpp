// The configuration schema: every key, its default (the struct initialiser), its bounds and
// its description, declared once and used both to parse and to document.

#include "config/schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace vigie::config {
namespace {

constexpr TextRule kId{.required = true, .identifier = true};

/// An IPv4 or IPv6 address, or a host name (letters, digits, '-' and '.'): what the API can
/// bind to. "127.0.0.1:8080" is neither; its port belongs in api.port.
bool is_listen_address(const std::string& text) {
  in6_addr v6{};
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return true;
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) return true;
  if (text.empty() || text.size() > 253) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

void parse_analysis(Section& s, AnalysisConfig& a) {
  s.number("fps", a.fps, 0.2, 30, "Frames analysed per second; frames are sampled by timestamp.");
  s.integer("width", a.width, 96, 1920,
            "Width in pixels of the analysis image; the height keeps the aspect ratio.");
}

void parse_input(Section& s, InputConfig& in) {
  s.choice("rtsp_transport", in.rtsp_transport,
           {{"tcp", RtspTransport::kTcp}, {"udp", RtspTransport::kUdp}},
           "RTSP transport: tcp survives packet loss and firewalls, udp has less latency.");
  s.number("connect_timeout_s", in.connect_timeout_s, 0.5, 60,
           "Seconds allowed to open the stream before the attempt fails.");
  s.number("read_timeout_s", in.read_timeout_s, 1, 120,
           "Seconds without any packet before the connection is dropped and reopened.");
  s.number("stall_after_s", in.stall_after_s, 0.5, 60,
           "Seconds without a frame before a live camera is reported stalled.");
  s.flag("realtime", in.realtime,
         "Files only: play at the video's own pace (false: as fast as analysis allows).");
  s.flag("loop", in.loop, "Files only: start again from the beginning at the end.");
  s.flag("skip_loop_filter", in.skip_loop_filter,
         "Skip the decoder's deblocking filter: cheaper, and invisible at analysis size.");
  s.flag("skip_non_reference", in.skip_non_reference,
         "Do not decode non-reference frames: cheaper when the analysis rate is low.");
  s.number("ring_seconds", in.ring_seconds, 0, 60,
           "Seconds of compressed video kept in memory for evidence clips.");
  s.number("backoff_max_s", in.backoff_max_s, 1, 300,
           "Longest wait between reconnection attempts; waits grow from 1 s, with jitter.");
  s.integer("queue_packets", in.queue_packets, 10, 10000,
            "Packets buffered between reading and decoding; when full, live streams drop to "
            "the next keyframe.");
  s.choice("hwaccel", in.hwaccel,
           {{"none", HwAccel::kNone},
            {"auto", HwAccel::kAuto},
            {"vaapi", HwAccel::kVaapi},
            {"qsv", HwAccel::kQsv},
            {"cuda", HwAccel::kCuda}},
           "Hardware decoder to try (auto: vaapi, then qsv, then cuda); decoding falls back to "
           "software, with a warning, when the device or the codec's support is missing.");
  if (in.read_timeout_s < in.stall_after_s && !s.describing()) {
    s.error("read_timeout_s", "must not be shorter than stall_after_s");
  }
}

void parse_calibration(Section& s, Calibration& c) {
  s.points("image", c.image, 4, 4, "Four points of the image (source pixels) on the ground plane.",
           true);
  s.points(
      "ground", c.ground, 4, 4,
      "The same four points on the ground, in metres (any origin, x and y axes at right angles).",
      true);
  if (!s.describing() && c.image.size() == 4 && c.ground.size() == 4 &&
      !Homography::from_points(c.image, c.ground)) {
    s.error("", "the four points do not define a ground plane (three are aligned, or repeated)");
  }
}

// A polygon the analysis uses must enclose something: its edges in order, not crossing.
// `what` starts the message ("camera 'gate', analysis mask 1: ").
void check_polygon(Section& s, const std::vector<Point>& polygon, const std::string& what) {
  if (s.describing() || polygon.size() < 3) return;
  if (!is_simple_polygon(polygon)) {
    s.error("polygon", what + "edges cross each other; list the points in order around it");
  } else if (std::abs(signed_area(polygon)) < 1.0) {
    s.error("polygon", what + "has no area");
  }
}

void parse_zone(Section& s, Zone& z) {
  s.text("id", z.id, "Zone id, unique within the camera; rules refer to it.", kId);
  s.text("name", z.name, "Name shown to operators.");
  s.points("polygon", z.polygon, 3, 64, "Polygon in source-image pixels.", true);
  s.point("allowed_direction", z.allowed_direction,
          "Image-space vector of the allowed movement (for wrong_way).");
  double height = z.person_height_px.value_or(0);
  s.number("person_height_px", height, 0, 4000,
           "Standing height of a person at the zone's centre, in pixels, used when the camera "
           "has no calibration (0: unknown).");
  if (height > 0) z.person_height_px = height;
  if (s.describing()) return;
  check_polygon(s, z.polygon, "");
  if (z.allowed_direction && cv::norm(*z.allowed_direction) == 0) {
    s.error("allowed_direction", "must not be [0, 0]");
  }
}

void parse_line(Section& s, Line& l) {
  s.text("id", l.id, "Line id, unique within the camera among zones and lines.", kId);
  s.text("name", l.name, "Name shown to operators.");
  std::vector<Point> ends;
  s.points("points", ends, 2, 2, "The two ends of the tripwire, in source-image pixels.", true);
  s.point("direction", l.direction,
          "Image-space vector of the crossing that alerts; omit for both ways.");
  if (s.describing()) return;
  if (ends.size() == 2) {
    l.a = ends[0];
    l.b = ends[1];
    if (l.a == l.b) s.error("points", "the two ends are the same point");
  }
  if (l.direction) {
    const Point d = *l.direction;
    const Point along = l.b - l.a;
    if (cv::norm(d) == 0) {
      s.error("direction", "must not be [0, 0]");
    } else if (std::abs(d.x * along.y - d.y * along.x) < 1e-9 * cv::norm(d) * cv::norm(along)) {
      s.error("direction", "is parallel to the line, so it says nothing about crossing");
    }
  }
}

/// Declares one rule type's parameters (rule_params.hpp) on a rule's mapping. Every type's
/// keys share the path cameras[].rules[] in the schema's documentation, so each
/// description starts with the type's name.
class ParamFields {
 public:
  ParamFields(Section& s, EventType type) : s_(s), prefix_(std::string(to_string(type)) + ": ") {}
  void number(std::string_view key, double& out, double min, double max,
              std::string_view description) {
    s_.number(key, out, min, max, prefix_ + std::string(description));
  }
  void integer(std::string_view key, int& out, int min, int max, std::string_view description) {
    s_.integer(key, out, min, max, prefix_ + std::string(description));
  }
  void identifiers(std::string_view key, std::vector<std::string>& out,
                   std::string_view description) {
    s_.texts(key, out, prefix_ + std::string(description), {.identifier = true});
  }

 private:
  Section& s_;
  std::string prefix_;
};

template <typename Params>
void declare_params(Section& s, Params& p) {
  ParamFields fields(s, Params::kType);
  p.fields(fields);
  if constexpr (requires { p.check([](std::string_view, std::string) {}); }) {
    if (!s.describing()) {
      p.check(
          [&s](std::string_view key, std::string message) { s.error(key, std::move(message)); });
    }
  }
}

// A key of another rule type in this rule's mapping: say whose it is, rather than only that
// it is unknown here.
void reject_other_types_keys(Section& s, EventType type) {
  const std::vector<std::string> own = parameter_keys(type);
  std::map<std::string, std::vector<std::string>> owners;  // key -> types that have it
  for (EventType other : kAllEventTypes) {
    if (other == type) continue;
    for (const std::string& key : parameter_keys(other)) {
      if (std::find(own.begin(), own.end(), key) == own.end() && s.has(key)) {
        owners[key].emplace_back(to_string(other));
      }
    }
  }
  for (const auto& [key, types] : owners) {
    s.error(key, fmt::format("unknown key for a {} rule: it is a parameter of {} rules (a {} "
                             "rule's own: {})",
                             to_string(type), fmt::join(types, ", "), to_string(type),
                             fmt::join(own, ", ")));
    s.skip(key);
  }
}

// The alert hygiene every type shares; `prefix` names the type whose defaults `r` holds when
// the schema is described once per type.
void declare_hygiene(Section& s, RuleConfig& r, const std::string& prefix) {
  s.number("inertia_s", r.inertia_s, 0, 60,
           prefix + "seconds the condition holds before an alert is raised.");
  s.number("clear_s", r.clear_s, 0, 600,
           prefix + "seconds the condition is false before the situation ends.");
  s.number("cooldown_s", r.cooldown_s, 0, 3600,
           prefix + "seconds after an alert ends during which the same zone raises no new one.");
}

void parse_rule(Section& s, RuleConfig& r) {
  std::string type;
  s.text("type", type,
         "Event type: wrong_way, intrusion, crowd_movement, density, abandoned_object, weapon, "
         "person_on_ground or fire.",
         {.required = true});
  std::optional<EventType> parsed = parse_event_type(type);
  if (!s.describing() && !type.empty() && !parsed) {
    s.error("type",
            "'" + type +
                "' is not one of the eight event types (wrong_way, intrusion, "
                "crowd_movement, density, abandoned_object, weapon, person_on_ground, fire)");
  }
  // Defaults depend on the type, so they are set before the keys are read.
  if (parsed) r = rule_defaults(*parsed);
  s.flag("enabled", r.enabled, "Whether this rule is evaluated.");
  s.texts("zones", r.zones, "Zone or line ids the rule applies to; omit for the whole image.",
          {.identifier = true});
  if (s.describing()) {
    // Every type's keys, each with the default a rule of that type gets: the hygiene keys'
    // defaults are the type's own (kHygiene), not those of a rule without a type.
    for_each_params_type([&](auto p) {
      constexpr EventType kType = decltype(p)::kType;
      RuleConfig typed = rule_defaults(kType);
      declare_hygiene(s, typed, std::string(to_string(kType)) + ": ");
      declare_params(s, p);
    });
    return;
  }
  declare_hygiene(s, r, "");
  if (!parsed) {
    // The type's error says what is wrong; which parameters belong cannot be judged.
    for (EventType t : kAllEventTypes) {
      for (const std::string& key : parameter_keys(t)) s.skip(key);
    }
    return;
  }
  std::visit([&](auto& p) { declare_params(s, p); }, r.params);
  reject_other_types_keys(s, *parsed);
}

}  // namespace

void parse_camera(Section& s, CameraConfig& c) {
  s.text("id", c.id, "Camera id: unique, used in topics, paths and the journal.", kId);
  s.text("name", c.name, "Name shown to operators and on the transparency page.");
  s.text("url", c.url,
         "Stream: rtsp://, http:// (MJPEG) or a file path; use ${ENV} for credentials.",
         {.required = true, .max_length = 2048});
  s.flag("enabled", c.enabled, "Whether the camera is read and analysed.");
  s.section("analysis", "How frames are analysed.",
            [&](Section& a) { parse_analysis(a, c.analysis); });
  s.section("input", "How the stream is read.", [&](Section& in) { parse_input(in, c.input); });
  s.optional_section<Calibration>("calibration", c.calibration,
                                  "Ground-plane calibration: gives metres, m/s and persons/m².",
                                  parse_calibration);
  s.list<Zone>("zones", c.zones, "Polygons of the image where rules apply.", parse_zone);
  s.list<Line>("lines", c.lines, "Tripwires.", parse_line);
  s.list<RuleConfig>("rules", c.rules, "Event types evaluated on this camera, and where.",
                     parse_rule);
  s.list<std::vector<Point>>(
      "privacy_masks", c.privacy_masks, "Polygons always hidden in stored evidence.",
      [](Section& m, std::vector<Point>& pts) {
        m.points("polygon", pts, 3, 64, "Polygon in source-image pixels.", true);
      });
  std::size_t mask_index = 0;
  s.list<std::vector<Point>>(
      "analysis_masks", c.analysis_masks,
      "Polygons no rule ever analyses (a tree, a screen, a road beside the platform): blanked "
      "before the background model, so nothing there becomes foreground. Not privacy: "
      "evidence still shows them (pixelated, as nothing there is known to be no person).",
      [&c, &mask_index](Section& m, std::vector<Point>& pts) {
        m.points("polygon", pts, 3, 64, "Polygon in source-image pixels.", true);
        check_polygon(m, pts, fmt::format("camera '{}', analysis mask {}: ", c.id, mask_index++));
      });
  s.flag("calibration_mode", c.calibration_mode,
         "Record and count alerts without showing them to operators (site tuning).");
  s.number("weight", c.weight, 0.1, 100,
           "Share of a node's work this camera counts for when nodes share cameras.");
}

void parse_detector(Section& s, DetectorConfig& d) {
  s.flag("enabled", d.enabled, "Whether the detector is used; false: as if absent.");
  s.text("model", d.model,
         "Model file: .onnx (YOLOX, FastestDet), Darknet .weights (Yolo-Fastest) or a pose "
         "model's frozen TensorFlow graph .pb; relative paths start at this file's folder.",
         {.required = true});
  s.text("config", d.config_file,
         "Darknet .cfg (empty: the model's path ending in .cfg), or a pose model's text graph "
         "at a fixed input size (.pbtxt, required).");
  s.choice("kind", d.kind,
           {{"auto", std::string("auto")},
            {"yolox", std::string("yolox")},
            {"fastestdet", std::string("fastestdet")},
            {"darknet", std::string("darknet")},
            {"pose", std::string("pose")}},
           "Output decoding: auto picks it from the file (.weights: darknet; .pb: pose; .onnx: "
           "from the output's shape). A pose model sees persons only, lying ones included.");
  s.integer("input_size", d.input_size, 0, 1280,
            "Square network input in pixels, a multiple of 32; 0: the model's own.");
  s.number("score_threshold", d.score_threshold, 0, 1,
           "Smallest detection score kept; 0: the model family's own (YOLOX 0.3, FastestDet "
           "0.65, Darknet 0.25).");
  s.number("nms_iou", d.nms_iou, 0.05, 1,
           "Boxes of one class overlapping more than this are one detection.");
  s.integer("threads", d.threads, 1, 64, "OpenCV threads per inference.");
  s.integer("workers", d.workers, 1, 8, "Inference threads shared by every camera.");
  s.integer("queue_size", d.queue_size, 1, 1024,
            "Requests waiting for a worker, all cameras together; more are refused.");
  s.number("camera_rate_hz", d.camera_rate_hz, 0.05, 30,
           "Inferences per second one camera may ask for.");
  s.number("global_rate_hz", d.global_rate_hz, 0.1, 1000,
           "Inferences per second for the whole node.");
  s.number("confirm_timeout_s", d.confirm_timeout_s, 0, 30,
           "A candidate unanswered this long is decided as without a detector.");
  s.number("recheck_s", d.recheck_s, 0.2, 60,
           "A candidate still there is shown to the detector again after this many seconds.");
  s.number("weapon_scan_hz", d.weapon_scan_hz, 0.01, 30,
           "weapon rule: scans around persons per second and camera.");
  s.flag("sync", d.sync,
         "Answer in the frame that asks, blocking analysis (evaluation; not for live cameras).");
  s.section("classes", "Which model class ids mean what (defaults: COCO).", [&](Section& c) {
    c.integers("person", d.classes.person, 0, 9999, "Class ids of persons.");
    c.integers("bag", d.classes.bag, 0, 9999, "Class ids of bags (abandoned_object).");
    c.integers("weapon", d.classes.weapon, 0, 9999, "Class ids of weapons (weapon rule).");
    c.integers("vehicle", d.classes.vehicle, 0, 9999, "Class ids of vehicles.");
  });
  if (s.describing()) return;
  if (d.input_size % 32 != 0) s.error("input_size", "must be a multiple of 32 (or 0)");
}

/// The event types named in a section's `event_types`, each checked.
void add_event_types(Section& s, const std::vector<std::string>& names,
                     std::vector<EventType>& out) {
  for (const auto& t : names) {
    if (auto e = parse_event_type(t)) {
      out.push_back(*e);
    } else {
      s.error("event_types", "'" + t + "' is not one of the eight event types");
    }
  }
}

void parse_mqtt(Section& m, MqttConfig& o) {
  m.flag("enabled", o.enabled, "Whether to publish to MQTT.");
  m.text("host", o.host, "Broker host name or address.");
  m.integer("port", o.port, 1, 65535, "Broker port.");
  m.text("username", o.username, "User name, if the broker requires one.");
  m.text("password", o.password, "Password; use ${ENV}.", {.secret = true});
  m.text("topic_prefix", o.topic_prefix, "First level of every topic.", {.identifier = true});
  m.flag("tls", o.tls, "Connect with TLS.");
  m.text("client_id", o.client_id, "MQTT client id, unique per broker; empty: vigie-<hostname>.",
         {.max_length = 128});
  m.integer("keepalive_s", o.keepalive_s, 5, 600,
            "Seconds between pings when idle; the broker declares the node offline after 1.5x.");
  m.text("ca_file", o.ca_file,
         "tls: PEM file of the CAs that sign the broker's certificate "
         "(empty: the system's CAs).");
  m.text("cert_file", o.cert_file, "tls: PEM client certificate, for brokers that require one.");
  m.text("key_file", o.key_file, "tls: PEM private key of cert_file.");
  if (m.describing()) return;
  if (o.cert_file.empty() != o.key_file.empty()) {
    m.error(o.cert_file.empty() ? "cert_file" : "key_file", "cert_file and key_file go together");
  }
  for (const auto& [key, value] :
       {std::pair{"ca_file", &o.ca_file}, {"cert_file", &o.cert_file}, {"key_file", &o.key_file}}) {
    if (!value->empty() && !o.tls) m.error(key, "is only used with tls: true");
  }
}

void parse_webhook(Section& w, WebhookConfig& o) {
  w.text("url", o.url, "http:// or https:// URL the alerts are POSTed to.",
         {.required = true, .max_length = 2048});
  w.text("secret", o.secret,
         "Key of the HMAC-SHA256 in X-Vigie-Signature, at least 16 characters; use ${ENV}.",
         {.required = true, .secret = true});
  std::vector<std::string> types;
  w.texts("event_types", types, "Event types sent to this endpoint; omit for every type.");
  if (w.describing()) return;
  if (!o.url.empty() && o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0) {
    w.error("url", "must start with http:// or https://");
  }
  // A short key is guessable, and register_secret() could not scrub it from logs.
  if (!o.secret.empty() && o.secret.size() < 16) {
    w.error("secret", "must be at least 16 characters (e.g. openssl rand -hex 32)");
  }
  add_event_types(w, types, o.event_types);
}

void parse_authorization(Section& a, Authorization& o) {
  a.text("reference", o.reference, "Reference of the prefectoral order.", {.required = true});
  a.texts("cameras", o.cameras, "Camera ids covered.", {.identifier = true});
  std::vector<std::string> types;
  a.texts("event_types", types, "Event types covered.");
  a.text("start", o.start, "Start, ISO 8601 (e.g. 2026-07-01T00:00:00+02:00).", {.required = true});
  a.text("end", o.end, "End, ISO 8601.", {.required = true});
  a.text("controller", o.controller, "Who controls the use (name or office).");
  add_event_types(a, types, o.event_types);
}

void parse_node(Section& s, Config& c) {
  s.choice("log_level", c.log_level,
           {{"trace", "trace"},
            {"debug", "debug"},
            {"info", "info"},
            {"warn", "warn"},
            {"error", "error"}},
           "Least severe log messages written to stderr.");
  s.list<CameraConfig>("cameras", c.cameras, "The cameras this node reads.", parse_camera);
  s.section("node", "This node among nodes sharing a PostgreSQL database (camera leases).",
            [&](Section& nd) {
              NodeConfig& o = c.node;
              nd.text("id", o.id, "Node id, unique among the nodes; empty: the host name.",
                      {.identifier = true});
              nd.number("heartbeat_s", o.heartbeat_s, 0.2, 60,
                        "Seconds between two renewals of this node's camera leases.");
              nd.number("lease_s", o.lease_s, 1, 300,
                        "Seconds a lease lasts unrenewed; then another node takes the camera.");
              if (!nd.describing() && o.lease_s < 2 * o.heartbeat_s) {
                nd.error("lease_s", "must be at least twice heartbeat_s");
              }
            });
  s.section("storage", "Where alerts, the journal and evidence are kept.", [&](Section& st) {
    StorageConfig& o = c.storage;
    st.choice("backend", o.backend,
              {{"sqlite", StorageBackend::kSqlite}, {"postgres", StorageBackend::kPostgres}},
              "sqlite: one embedded file (single node); postgres: shared by several nodes.");
    st.text("data_dir", o.data_dir, "Folder for the database file and evidence.");
    st.text("postgres_url", o.postgres_url,
            "PostgreSQL connection URL or key=value string (backend postgres).", {.secret = true});
    st.text("postgres_password_file", o.postgres_password_file,
            "File whose first line is the PostgreSQL password (backend postgres); else the "
            "URL's, PGPASSWORD or ~/.pgpass.");
    st.integer("evidence_days", o.evidence_days, 1, 30,
               "Days evidence images and clips are kept (the law allows at most 30).");
    st.integer("journal_months", o.journal_months, 12, 12,
               "Months journal records are kept (fixed at 12 by law).");
    if (!st.describing() && o.backend == StorageBackend::kPostgres && o.postgres_url.empty()) {
      st.error("postgres_url", "is required when backend is postgres");
    }
  });
  s.section("alerts", "What happens to alerts once raised.", [&](Section& al) {
    AlertsConfig& o = c.alerts;
    al.texts("reason_codes", o.reason_codes, "Reason codes offered when dismissing an alert.",
             {.identifier = true});
    al.number("update_interval_s", o.update_interval_s, 0.2, 300,
              "An ongoing alert is stored and pushed again at most this often.");
    al.number("evidence_before_s", o.evidence_before_s, 0, 30,
              "Evidence clip: seconds kept before the alert starts.");
    al.number("evidence_after_s", o.evidence_after_s, 1, 60,
              "Evidence clip: seconds kept after the alert starts.");
    al.number("verdict_undo_s", o.verdict_undo_s, 0, 60,
              "Seconds during which the operator who gave a verdict may take it back.");
    al.section("measures", "Measures offered when confirming an alert, per event type.",
               [&](Section& m) {
                 for (EventType t : kAllEventTypes) {
                   m.texts(to_string(t), o.measures[t],
                           "Measures offered when confirming this type.", {.identifier = true});
                 }
               });
    if (!al.describing() && o.reason_codes.empty()) {
      al.error("reason_codes", "needs at least one code");
    }
  });
  s.section("console", "How the operator console announces alerts.", [&](Section& co) {
    ConsoleConfig& o = c.console;
    co.number("escalate_after_s", o.escalate_after_s, 5, 3600,
              "A critical alert waiting unopened this long is escalated on every console.");
    co.number("mute_minutes", o.mute_minutes, 1, 240,
              "A muted event type is heard again after this many minutes.");
  });
  s.section("api", "The HTTP API and operator console.", [&](Section& a) {
    ApiConfig& o = c.api;
    a.text("listen", o.listen, "Address to listen on; 127.0.0.1 keeps the API local.");
    if (!a.describing() && !is_listen_address(o.listen)) {
      a.error("listen",
              "'" + o.listen + "' is not an IP address or host name (the port goes in api.port)");
    }
    a.integer("port", o.port, 0, 65535, "TCP port (0: any free port).");
    a.text("tls_cert", o.tls_cert, "PEM certificate file; with tls_key, serves HTTPS.");
    a.text("tls_key", o.tls_key, "PEM private key file.", {.secret = false});
    a.text("console_dir", o.console_dir,
           "Folder of the console's static files, served at /; empty: a placeholder page.");
    a.flag("metrics_public", o.metrics_public,
           "Serve /metrics without authentication even when listen is not a loopback address.");
    a.text("metrics_token", o.metrics_token,
           "Bearer token /metrics requires when set, on any address (remote scraping); use "
           "${ENV}, 16+ characters.",
           {.secret = true});
    if (!a.describing() && !o.metrics_token.empty() && o.metrics_token.size() < 16) {
      a.error("metrics_token", "is too short: at least 16 characters");
    }
    a.text("admin_user", o.admin_user,
           "An admin user created at start when no user of that name exists.");
    a.text("admin_password", o.admin_password, "Password of admin_user; use ${ENV}.",
           {.secret = true});
    if (!a.describing() && !o.admin_user.empty() && o.admin_password.size() < 8) {
      a.error("admin_password", "is required with admin_user, at least 8 characters");
    }
    if (!a.describing() && o.tls_cert.empty() != o.tls_key.empty()) {
      a.error(o.tls_cert.empty() ? "tls_cert" : "tls_key", "tls_cert and tls_key go together");
    }
  });
  s.section("mqtt", "Publishing alerts and camera status to an MQTT broker.",
            [&](Section& m) { parse_mqtt(m, c.mqtt); });
  s.list<WebhookConfig>("webhooks", c.webhooks,
                        "HTTP endpoints that receive each alert as signed JSON.", parse_webhook);
  s.optional_section<DetectorConfig>(
      "detector", c.detector,
      "Optional object detector model: confirms candidates and sees weapons.", parse_detector);
  s.list<Authorization>(
      "authorizations", c.authorizations,
      "Orders that authorise analysis: which cameras, which events, from when to when.",
      parse_authorization);
}

}  // namespace vigie::config

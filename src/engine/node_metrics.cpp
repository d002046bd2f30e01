#include "engine/node_metrics.hpp"

#include <opencv2/core/version.hpp>

#include "core/bug.hpp"
#include "core/process_usage.hpp"

namespace vigie::engine {
namespace {

double d(std::uint64_t v) {
  return static_cast<double>(v);
}

void write_camera_metrics(PrometheusText& out, const std::vector<CameraStatus>& cameras) {
  // Rates come from counters (rate() in PromQL), not from gauges averaged here.
  out.family("vigie_camera_frames_total", MetricType::kCounter,
             "Frames per camera since start, by stage: decoded, analysed, or dropped before "
             "analysis because it fell behind.");
  for (const auto& s : cameras) {
    out.sample({{"camera", s.id}, {"stage", "decoded"}}, d(s.health.frames_decoded));
    out.sample({{"camera", s.id}, {"stage", "analysed"}}, d(s.health.frames_analysed));
    out.sample({{"camera", s.id}, {"stage", "dropped"}}, d(s.health.frames_dropped));
  }
  out.family("vigie_camera_analysis_seconds", MetricType::kHistogram,
             "Time to analyse one frame (perceive, track, rules), per camera.");
  for (const auto& s : cameras) out.histogram({{"camera", s.id}}, s.analysis_seconds);
  out.family("vigie_camera_reconnects_total", MetricType::kCounter,
             "Reconnections of the camera's stream.");
  for (const auto& s : cameras) out.sample({{"camera", s.id}}, d(s.health.reconnects));
  out.family("vigie_camera_decode_errors_total", MetricType::kCounter, "Decoding errors.");
  for (const auto& s : cameras) out.sample({{"camera", s.id}}, d(s.health.decode_errors));
  out.family("vigie_camera_live", MetricType::kGauge, "1 while frames arrive.");
  for (const auto& s : cameras) {
    out.sample({{"camera", s.id}}, s.health.state == CameraState::kLive ? 1 : 0);
  }
  out.family("vigie_camera_view_changed", MetricType::kGauge,
             "1 while the camera's view is not the one its rules were set up on, by reason "
             "(moved, covered, blurred, blinded); its rules are suspended meanwhile.");
  for (const auto& s : cameras) {
    for (const auto problem : {perceive::ViewProblem::kMoved, perceive::ViewProblem::kCovered,
                               perceive::ViewProblem::kBlurred, perceive::ViewProblem::kBlinded}) {
      const bool now = s.view.changed && s.view.problem == problem;
      out.sample({{"camera", s.id}, {"reason", std::string(perceive::to_string(problem))}},
                 now ? 1 : 0);
    }
  }
  out.family("vigie_camera_analysing", MetricType::kGauge,
             "1 while the camera is analysed (authorised and not stopped).");
  for (const auto& s : cameras) out.sample({{"camera", s.id}}, s.analysing ? 1 : 0);
}

void write_detector_metrics(PrometheusText& out, const DetectionService& detector) {
  const DetectionStats s = detector.stats();
  out.counter("vigie_detector_inferences_total", "Object detector inferences run.",
              d(s.inferences));
  out.counter("vigie_detector_inference_seconds_total",
              "Wall time spent in object detector inferences.", s.inference_ms / 1000.0);
  out.family("vigie_detector_requests_refused_total", MetricType::kCounter,
             "Detector requests not run, by reason: over a budget, queue full, or waited "
             "past confirm_timeout_s.")
      .sample({{"reason", "budget"}}, d(s.refused_budget))
      .sample({{"reason", "queue_full"}}, d(s.refused_queue))
      .sample({{"reason", "stale"}}, d(s.dropped_stale));
}

void write_process_metrics(PrometheusText& out) {
  const ProcessUsage usage = read_process_usage();
  out.counter("process_cpu_seconds_total", "User and system CPU time of the process.",
              usage.cpu_s);
  out.gauge("process_resident_memory_bytes", "Resident memory of the process.",
            static_cast<double>(usage.resident_bytes));
  out.gauge("vigie_process_peak_resident_memory_bytes",
            "Highest resident memory of the process since start.",
            static_cast<double>(usage.peak_resident_bytes));
  out.counter("vigie_bugs_total",
              "Impossible states reached and survived (each logged at critical level with its "
              "place); anything but 0 is a defect to report.",
              static_cast<double>(bugs_reported()));
  out.family("vigie_build_info", MetricType::kGauge,
             "Always 1; the labels say which vigie and which OpenCV this is.")
      .sample({{"version", VIGIE_VERSION}, {"opencv", CV_VERSION}}, 1);
}

}  // namespace

void write_node_metrics(PrometheusText& out, const NodeMetricsInputs& in) {
  const auto cameras = in.engine.status();
  write_camera_metrics(out, cameras);
  out.gauge("vigie_analysis_queue_depth", "Cameras with a frame waiting for an analysis worker.",
            d(in.engine.analysis_queue_depth()));
  const auto& w = in.evidence;
  out.gauge("vigie_evidence_queue_depth", "Evidence renderings waiting.", d(w.queued));
  out.family("vigie_evidence_requests_total", MetricType::kCounter,
             "Evidence requests by result: written, failed while rendering, or refused "
             "(queue full, stopping) or cancelled.")
      .sample({{"result", "written"}}, d(w.written))
      .sample({{"result", "failed"}}, d(w.failed))
      .sample({{"result", "refused"}}, d(w.dropped));
  double evidence_cpu_s = 0;
  for (const auto& t : thread_cpu_by_name()) {
    if (t.name == "vigie-evidence") evidence_cpu_s += t.cpu_s;
  }
  out.counter("vigie_evidence_cpu_seconds_total",
              "CPU time of the evidence thread: decoding the ring, masking, encoding.",
              evidence_cpu_s);
  out.counter("vigie_alert_reports_total",
              "Alert reports (raised, updated, ended) from the rules, stored.",
              d(in.alerts_reported));
  if (const DetectionService* detector = in.engine.detection()) {
    write_detector_metrics(out, *detector);
  }
  if (in.publishers != nullptr) in.publishers->write_metrics(out);
  write_process_metrics(out);
}

}  // namespace vigie::engine

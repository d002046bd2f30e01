// The live event stream (Server-Sent Events): alert changes as they commit, resumed from the
// journal after Last-Event-ID.

#include "api/route_context.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/views.hpp"

namespace vigie::api {
namespace {

constexpr int kReplayPage = 200;

/// The state of one event stream, touched only by the thread that writes it.
struct Stream {
  std::shared_ptr<EventQueue> queue;
  bool sees_calibration = false;
  bool started = false;
  bool replaying = false;
  std::int64_t cursor = 0;     // replay: journal read up to here
  std::int64_t last_sent = 0;  // highest seq sent: later duplicates are skipped
  std::chrono::steady_clock::time_point last_write;
};

/// One Server-Sent Event.
std::string sse_frame(std::int64_t seq, const std::string& action, const Json& data) {
  std::string out;
  if (seq > 0) out += "id: " + std::to_string(seq) + "\n";
  out += "event: " + action + "\n";
  out += "data: " + dump(data) + "\n\n";
  return out;
}

std::optional<std::string> replay_frame(RouteContext& ctx, const storage::JournalRecord& r,
                                        bool sees) {
  // The alert service journals the alert's id as "alert".
  const Json& detail = r.detail;
  std::int64_t id = 0;
  for (const char* key : {"alert", "alert_id"}) {
    if (detail.contains(key) && detail[key].is_number_integer()) {
      id = detail[key].get<std::int64_t>();
      break;
    }
  }
  if (id == 0) return std::nullopt;
  auto alert = ctx.d.store.alert(id);
  if (!alert || !alert->has_value()) return std::nullopt;
  if ((*alert)->calibration && !sees) return std::nullopt;
  return sse_frame(r.seq, r.action, alert_json(**alert));
}

// Called again and again by the server's writing loop while the stream is open. Waits a
// quarter of a second at most, so that a stopping server is never held up for long.
bool pump(RouteContext& ctx, Stream& s, httplib::DataSink& sink) {
  auto write = [&](const std::string& text) {
    if (!sink.write(text.data(), text.size())) return false;
    // Real time, not the injected clock: the heartbeat keeps real connections open.
    s.last_write = std::chrono::steady_clock::now();
    return true;
  };
  if (!s.started) {
    s.started = true;
    return write("retry: 2000\n: vigie events\n\n");
  }
  if (s.replaying) {
    storage::JournalQuery q;
    q.after_seq = s.cursor;
    q.action_prefix = "alert.";
    q.limit = kReplayPage;
    auto page = ctx.d.store.journal(q);
    if (!page) return false;
    std::string out;
    for (const auto& r : *page) {
      s.cursor = r.seq;
      if (auto frame = replay_frame(ctx, r, s.sees_calibration)) out += *frame;
      s.last_sent = std::max(s.last_sent, r.seq);
    }
    if (static_cast<int>(page->size()) < q.limit) s.replaying = false;
    return out.empty() || write(out);
  }
  std::deque<alerts::AlertEvent> events;
  if (!s.queue->wait(0.25, events)) return false;  // dropped (too slow) or server stopping
  std::string out;
  std::vector<const storage::AlertRecord*> raised;
  for (const auto& e : events) {
    if (e.seq > 0 && e.seq <= s.last_sent) continue;
    out += sse_frame(e.seq, e.action, alert_json(e.alert));
    s.last_sent = std::max(s.last_sent, e.seq);
    if (e.action == "alert.raised" && !e.alert.calibration) raised.push_back(&e.alert);
  }
  const double quiet =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - s.last_write).count();
  if (out.empty() && quiet >= ctx.d.options.sse_heartbeat_s) out = ": keepalive\n\n";
  if (out.empty()) return true;
  if (!write(out)) return false;
  for (const auto* a : raised) ctx.pushed_latency.observe(ctx.alert_age_s(*a));
  return true;
}

void events(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  std::string last = req.get_header_value("Last-Event-ID");
  if (last.empty()) last = req.get_param_value("last_event_id");
  std::optional<std::int64_t> resume;
  if (!last.empty()) {
    resume = parse_int(last);
    if (!resume || *resume < 0) {
      return send_error(res, 400, "invalid_argument", "Last-Event-ID must be a journal seq");
    }
  }
  auto stream = std::make_shared<Stream>();
  stream->sees_calibration = sees_calibration(who.role);
  // Registered before the journal is read: whatever commits from now on is queued, and
  // what is both read and queued is sent once (by seq), so there is neither gap nor repeat.
  stream->queue = ctx.hub.add(stream->sees_calibration);
  if (!stream->queue) return send_error(res, 503, "unavailable", "too many event streams");
  connection_became_stream();  // its place among connections is free for requests
  if (resume) {
    stream->replaying = true;
    stream->cursor = *resume;
    stream->last_sent = *resume;
  }
  stream->last_write = std::chrono::steady_clock::now();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&ctx, stream](std::size_t, httplib::DataSink& sink) { return pump(ctx, *stream, sink); },
      [&ctx, stream](bool) { ctx.hub.remove(stream->queue); });
}

}  // namespace

void add_event_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/events", bind_route(ctx, &events));
}

}  // namespace vigie::api

// The journal: reading it by page, and verifying its chain of hashes from the start.

#include "api/route_context.hpp"

#include <optional>

#include "api/views.hpp"
#include "storage/journal_chain.hpp"

namespace vigie::api {
namespace {

constexpr int kMaxJournalPage = 1000;

void read_journal(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  storage::JournalQuery q;
  auto from = time_param(req, "from");
  if (!from) return send_status(res, from.status());
  auto to = time_param(req, "to");
  if (!to) return send_status(res, to.status());
  auto after = int_param(req, "after", 0, INT64_MAX);
  if (!after) return send_status(res, after.status());
  auto limit = int_param(req, "limit", 1, kMaxJournalPage);
  if (!limit) return send_status(res, limit.status());
  q.from_ms = *from;
  q.to_ms = *to;
  q.after_seq = *after;
  q.limit = static_cast<int>(limit->value_or(100));
  if (req.has_param("action")) q.action_prefix = req.get_param_value("action");
  if (req.has_param("actor")) q.actor = req.get_param_value("actor");
  auto records = ctx.d.store.journal(q);
  if (!records) return send_status(res, records.status());
  Json list = Json::array();
  for (const auto& r : *records) list.push_back(journal_json(r));
  Json next = nullptr;
  if (static_cast<int>(records->size()) >= q.limit && !records->empty()) {
    next = records->back().seq;
  }
  send_json(res, {{"records", list}, {"next_after", next}});
}

void verify_journal(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  storage::ChainVerifier verifier;
  std::optional<storage::ChainBreak> broken;
  std::int64_t after = 0;
  std::int64_t head_seq = 0;
  for (;;) {
    storage::JournalQuery q;
    q.after_seq = after;
    q.limit = kMaxJournalPage;
    auto page = ctx.d.store.journal(q);
    if (!page) return send_status(res, page.status());
    for (const auto& r : *page) {
      if (!broken) broken = verifier.add(r);
      after = r.seq;
      head_seq = r.seq;
    }
    if (static_cast<int>(page->size()) < q.limit) break;
  }
  Json brk = nullptr;
  if (broken) brk = {{"seq", broken->seq}, {"reason", broken->reason}};
  send_json(res, {{"ok", !broken},
                  {"records", verifier.checked()},
                  {"head", verifier.head_hash()},
                  {"head_seq", head_seq},
                  {"break", brk}});
}

}  // namespace

void add_journal_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/journal", bind_route(ctx, &read_journal));
  routes.emplace("GET /api/v1/journal/verify", bind_route(ctx, &verify_journal));
}

}  // namespace vigie::api

#include "alerts/retention.hpp"

#include <algorithm>
#include <system_error>

#include <spdlog/spdlog.h>

namespace vigie::alerts {
namespace {

constexpr storage::TimeMs kDayMs = 24LL * 3600 * 1000;

}  // namespace

RetentionPolicy RetentionPolicy::from(const config::StorageConfig& storage) {
  RetentionPolicy p;
  p.evidence_days = std::clamp(storage.evidence_days, 1, kMaxEvidenceDays);
  p.journal_months = std::max(1, storage.journal_months);
  return p;
}

Result<PurgeReport> purge_once(storage::Store& store, const std::filesystem::path& evidence_root,
                               const Clock& clock, const RetentionPolicy& policy) {
  const storage::TimeMs now = unix_ms(clock.wall_now());
  const int evidence_days = std::clamp(policy.evidence_days, 1, kMaxEvidenceDays);
  const storage::TimeMs evidence_cutoff = now - evidence_days * kDayMs;
  const storage::TimeMs journal_cutoff = now - policy.journal_months * 30 * kDayMs;

  auto old = store.evidence_before(evidence_cutoff);
  if (!old.is_ok()) return old.status();

  PurgeReport report;
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::int64_t> ids;
  for (const auto& e : *old) {
    std::error_code ec;
    const auto path = evidence_root / e.path;
    const bool removed = std::filesystem::remove(path, ec);
    if (ec) {
      // Kept in the store so the next purge tries again; the journal must not claim it.
      spdlog::warn("retention: cannot delete {}: {}", path.string(), ec.message());
      continue;
    }
    removed ? ++report.evidence_deleted : ++report.evidence_missing;
    ids.push_back(e.id);
    files.push_back({{"evidence", e.id},
                     {"alert", e.alert_id},
                     {"kind", e.kind},
                     {"path", e.path},
                     {"sha256", e.sha256},
                     {"file_was_missing", !removed}});
    // Empty alert folders go too, so nothing of the alert is left on disk.
    std::filesystem::remove(path.parent_path(), ec);
  }

  Status s = store.write([&](storage::Tx& tx) -> Status {
    for (std::int64_t id : ids) {
      VIGIE_RETURN_IF_ERROR(tx.delete_evidence(id));
    }
    auto deleted = tx.delete_journal_before(journal_cutoff);
    if (!deleted.is_ok()) return deleted.status();
    report.journal_deleted = *deleted;
    if (ids.empty() && report.journal_deleted == 0) return Status::ok();
    nlohmann::json detail = {{"evidence_days", evidence_days},
                             {"journal_months", policy.journal_months},
                             {"evidence", files},
                             {"journal_records_deleted", report.journal_deleted}};
    if (report.journal_deleted > 0) {
      // Names the record the chain now starts at: a verifier accepts a chain that does not
      // start at the genesis only from an anchor a purge named (docs/storage.md).
      auto first = tx.journal_first();
      if (!first.is_ok()) return first.status();
      if (*first) {
        detail["journal_anchor"] = {{"seq", (*first)->seq}, {"prev_hash", (*first)->prev_hash}};
      }
    }
    auto j = tx.journal({now, "system", "retention.purged", std::move(detail)});
    return j.status();
  });
  if (!s.is_ok()) return s;
  return report;
}

RetentionJob::RetentionJob(storage::Store& store, std::filesystem::path evidence_root,
                           const Clock& clock, RetentionPolicy policy, double interval_s)
    : store_(store),
      evidence_root_(std::move(evidence_root)),
      clock_(clock),
      policy_(policy),
      interval_s_(interval_s) {}

RetentionJob::~RetentionJob() { stop(); }

void RetentionJob::start() {
  thread_ = Worker("vigie-retention", [this](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      auto r = purge_once(store_, evidence_root_, clock_, policy_);
      if (!r.is_ok()) {
        spdlog::error("retention purge failed: {}", r.status().to_string());
      } else if (r->evidence_deleted + r->journal_deleted > 0) {
        spdlog::info("retention: deleted {} evidence files and {} journal records",
                     r->evidence_deleted, r->journal_deleted);
      }
      ++runs_;
      sleep_for(stop, std::chrono::duration<double>(interval_s_));
    }
  });
}

void RetentionJob::stop() {
  thread_.stop();
}

}  // namespace vigie::alerts

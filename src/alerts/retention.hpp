#pragma once
// Retention: images and clips are kept at most 30 days (configuration may lower it, never
// raise it), journal records 12 months. A purge deletes what is older and journals what it
// deleted, file by file, with each file's SHA-256.

#include <atomic>
#include <filesystem>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/worker.hpp"
#include "storage/store.hpp"

namespace vigie::alerts {

/// The longest evidence may be kept, whatever the configuration says.
inline constexpr int kMaxEvidenceDays = 30;

struct RetentionPolicy {
  int evidence_days = kMaxEvidenceDays;
  int journal_months = 12;  ///< a month counts 30 days here
  /// From the storage configuration, clamped to the legal maximum.
  static RetentionPolicy from(const config::StorageConfig& storage);
};

/// What one purge did.
struct PurgeReport {
  std::int64_t evidence_deleted = 0;
  std::int64_t evidence_missing = 0;  ///< records whose file was already gone
  std::int64_t journal_deleted = 0;
};

/// Deletes evidence files (under `evidence_root`) and records older than the policy, then
/// journal records older than the policy, and journals a "retention.purged" record listing
/// them. Call from one thread at a time.
Result<PurgeReport> purge_once(storage::Store& store, const std::filesystem::path& evidence_root,
                               const Clock& clock, const RetentionPolicy& policy);

/// Runs purge_once at start and then every `interval_s` on its own thread.
class RetentionJob {
 public:
  RetentionJob(storage::Store& store, std::filesystem::path evidence_root, const Clock& clock,
               RetentionPolicy policy, double interval_s = 3600);
  ~RetentionJob();
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  void start();
  /// Wakes and joins the thread. Idempotent.
  void stop();
  [[nodiscard]] std::int64_t runs() const { return runs_.load(); }

 private:
  storage::Store& store_;
  const std::filesystem::path evidence_root_;
  const Clock& clock_;
  const RetentionPolicy policy_;
  const double interval_s_;
  std::atomic<std::int64_t> runs_{0};  // written by the thread, read by anyone
  Worker thread_;                      // last: it uses the members above
};

}  // namespace vigie::alerts

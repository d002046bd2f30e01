#include "api/memory_store.hpp"

#include <algorithm>

#include "storage/journal_chain.hpp"

namespace vigie::testing {
namespace {

using namespace vigie::storage;

struct Data {
  std::map<std::int64_t, AlertRecord> alerts;
  std::map<std::int64_t, CommentRecord> comments;
  std::map<std::int64_t, EvidenceRecord> evidence;
  std::map<std::string, UserRecord> users;
  std::map<std::string, AuthorizationRecord> authorizations;
  std::vector<JournalRecord> journal;
  std::int64_t next_alert = 1, next_comment = 1, next_evidence = 1;
};

class MemoryTx final : public Tx {
 public:
  explicit MemoryTx(Data& d) : d_(d) {}
  Result<std::optional<AlertRecord>> get_alert(std::int64_t id) override {
    auto it = d_.alerts.find(id);
    if (it == d_.alerts.end()) return std::optional<AlertRecord>();
    return std::optional<AlertRecord>(it->second);
  }
  Result<std::int64_t> put_alert(const AlertRecord& record) override {
    AlertRecord r = record;
    if (r.id == 0) r.id = d_.next_alert++;
    d_.alerts[r.id] = r;
    return r.id;
  }
  Result<std::int64_t> add_comment(const CommentRecord& comment) override {
    CommentRecord c = comment;
    c.id = d_.next_comment++;
    d_.comments[c.id] = c;
    return c.id;
  }
  Result<std::int64_t> add_evidence(const EvidenceRecord& evidence) override {
    EvidenceRecord e = evidence;
    e.id = d_.next_evidence++;
    d_.evidence[e.id] = e;
    return e.id;
  }
  Status delete_evidence(std::int64_t evidence_id) override {
    d_.evidence.erase(evidence_id);
    return Status::ok();
  }
  Status put_user(const UserRecord& user) override {
    d_.users[user.name] = user;
    return Status::ok();
  }
  Status put_authorization(const AuthorizationRecord& a) override {
    d_.authorizations[a.reference] = a;
    return Status::ok();
  }
  Result<std::int64_t> delete_journal_before(TimeMs before_ms) override {
    std::int64_t n = 0;
    while (d_.journal.size() > 1 && d_.journal[1].at_ms < before_ms) {
      d_.journal.erase(d_.journal.begin());
      ++n;
    }
    return n;
  }
  Result<JournalRecord> journal(const JournalDraft& draft) override {
    JournalRecord r;
    r.seq = d_.journal.empty() ? 1 : d_.journal.back().seq + 1;
    r.at_ms = draft.at_ms;
    r.actor = draft.actor;
    r.action = draft.action;
    r.detail = draft.detail;
    r.prev_hash = d_.journal.empty() ? kGenesisHash : d_.journal.back().hash;
    r.hash = journal_hash(r);
    d_.journal.push_back(r);
    return r;
  }

 private:
  Data& d_;
};

class MemoryStore final : public Store {
 public:
  Status write(const std::function<Status(Tx&)>& changes) override {
    std::lock_guard lock(write_mutex_);
    Data copy;
    {
      std::lock_guard data_lock(mutex_);
      copy = data_;
    }
    MemoryTx tx(copy);
    Status s = changes(tx);
    if (!s.is_ok()) return s;
    std::lock_guard data_lock(mutex_);
    data_ = std::move(copy);
    return Status::ok();
  }
  Result<std::optional<AlertRecord>> alert(std::int64_t id) const override {
    std::lock_guard lock(mutex_);
    auto it = data_.alerts.find(id);
    if (it == data_.alerts.end()) return std::optional<AlertRecord>();
    return std::optional<AlertRecord>(it->second);
  }
  Result<std::vector<AlertRecord>> alerts(const AlertQuery& q) const override {
    std::lock_guard lock(mutex_);
    std::vector<AlertRecord> out;
    for (auto it = data_.alerts.rbegin(); it != data_.alerts.rend(); ++it) {
      const AlertRecord& a = it->second;
      if (q.type && a.type != *q.type) continue;
      if (q.camera && a.camera != *q.camera) continue;
      if (q.state && a.state != *q.state) continue;
      if (q.from_ms && a.raised_ms < *q.from_ms) continue;
      if (q.to_ms && a.raised_ms >= *q.to_ms) continue;
      if (q.before_id && a.id >= *q.before_id) continue;
      if (q.only_calibration && !a.calibration) continue;
      if (!q.include_calibration && !q.only_calibration && a.calibration) continue;
      out.push_back(a);
      if (static_cast<int>(out.size()) >= q.limit) break;
    }
    return out;
  }
  Result<std::vector<CommentRecord>> comments(std::int64_t alert_id) const override {
    std::lock_guard lock(mutex_);
    std::vector<CommentRecord> out;
    for (const auto& [id, c] : data_.comments) {
      if (c.alert_id == alert_id) out.push_back(c);
    }
    return out;
  }
  Result<std::vector<EvidenceRecord>> evidence(std::int64_t alert_id) const override {
    std::lock_guard lock(mutex_);
    std::vector<EvidenceRecord> out;
    for (const auto& [id, e] : data_.evidence) {
      if (e.alert_id == alert_id) out.push_back(e);
    }
    return out;
  }
  Result<std::vector<EvidenceRecord>> evidence_before(TimeMs before_ms) const override {
    std::lock_guard lock(mutex_);
    std::vector<EvidenceRecord> out;
    for (const auto& [id, e] : data_.evidence) {
      if (e.created_ms < before_ms) out.push_back(e);
    }
    return out;
  }
  Result<std::optional<UserRecord>> user(const std::string& name) const override {
    std::lock_guard lock(mutex_);
    auto it = data_.users.find(name);
    if (it == data_.users.end()) return std::optional<UserRecord>();
    return std::optional<UserRecord>(it->second);
  }
  Result<std::vector<UserRecord>> users() const override {
    std::lock_guard lock(mutex_);
    std::vector<UserRecord> out;
    for (const auto& [n, u] : data_.users) out.push_back(u);
    return out;
  }
  Result<std::vector<AuthorizationRecord>> authorizations() const override {
    std::lock_guard lock(mutex_);
    std::vector<AuthorizationRecord> out;
    for (const auto& [r, a] : data_.authorizations) out.push_back(a);
    return out;
  }
  Result<std::vector<JournalRecord>> journal(const JournalQuery& q) const override {
    std::lock_guard lock(mutex_);
    std::vector<JournalRecord> out;
    for (const auto& r : data_.journal) {
      if (q.after_seq && r.seq <= *q.after_seq) continue;
      if (q.from_ms && r.at_ms < *q.from_ms) continue;
      if (q.to_ms && r.at_ms >= *q.to_ms) continue;
      if (q.action_prefix && r.action.rfind(*q.action_prefix, 0) != 0) continue;
      if (q.actor && r.actor != *q.actor) continue;
      out.push_back(r);
      if (static_cast<int>(out.size()) >= q.limit) break;
    }
    return out;
  }
  Result<std::optional<JournalRecord>> journal_head() const override {
    std::lock_guard lock(mutex_);
    if (data_.journal.empty()) return std::optional<JournalRecord>();
    return std::optional<JournalRecord>(data_.journal.back());
  }
  Result<std::vector<AlertCountRow>> alert_counts(TimeMs from_ms, TimeMs to_ms) const override {
    std::lock_guard lock(mutex_);
    std::map<std::tuple<EventType, CameraId, TimeMs, bool>, AlertCountRow> rows;
    for (const auto& [id, a] : data_.alerts) {
      if (a.raised_ms < from_ms || a.raised_ms >= to_ms) continue;
      const TimeMs hour = a.raised_ms - a.raised_ms % 3600000;
      AlertCountRow& r = rows[{a.type, a.camera, hour, a.calibration}];
      r.type = a.type;
      r.camera = a.camera;
      r.hour_ms = hour;
      r.calibration = a.calibration;
      r.alerts += 1;
      if (a.verdict_ms > 0) {
        const bool confirmed = a.state == AlertState::kConfirmed ||
                               (a.state == AlertState::kClosed && a.reason.empty());
        (confirmed ? r.confirmed : r.dismissed) += 1;
        r.verdict_seconds_sum += static_cast<double>(a.verdict_ms - a.raised_ms) / 1000.0;
      }
    }
    std::vector<AlertCountRow> out;
    for (auto& [k, r] : rows) out.push_back(r);
    return out;
  }
  [[nodiscard]] int schema_version() const override { return 1; }

 private:
  std::mutex write_mutex_;
  mutable std::mutex mutex_;
  Data data_;
};

}  // namespace

std::unique_ptr<storage::Store> make_memory_store() {
  return std::make_unique<MemoryStore>();
}

}  // namespace vigie::testing

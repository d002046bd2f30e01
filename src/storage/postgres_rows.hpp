#pragma once
// Statement parameters and row conversions of the PostgreSQL store. Values travel as text
// (doubles in their shortest exact form, which PostgreSQL reads back to the same double and,
// since version 12, prints the same way), so a record reads back exactly as it was written.
// Internal to the storage module.

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.hpp"
#include "storage/records.hpp"

namespace vigie::storage::pg {

/// Positional parameters ($1, $2...) of one statement, as text.
class Params {
 public:
  Params& add(std::int64_t v);
  Params& add(int v) { return add(std::int64_t{v}); }
  Params& add(double v);
  Params& add(bool v);
  Params& add(std::string v);
  Params& add(const char* v) { return add(std::string(v)); }
  [[nodiscard]] const std::vector<std::string>& values() const { return values_; }
  /// "$N" for the parameter about to be added.
  [[nodiscard]] std::string next() const {
    std::string n = "$";  // appended, not "$" + ...: GCC 12 warns falsely on that (-Wrestrict)
    n += std::to_string(values_.size() + 1);
    return n;
  }

 private:
  std::vector<std::string> values_;
};

/// Runs `sql` with `params` in `tx` (any pqxx transaction); throws as libpqxx does.
pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params = {});

std::int64_t i64(const pqxx::field& f);
double f64(const pqxx::field& f);
bool boolean(const pqxx::field& f);
std::string text(const pqxx::field& f);

/// The alert columns after `id`, in the order alert_params() gives them.
extern const char* const kAlertColumns;
constexpr int kAlertColumnCount = 24;
/// An alert's columns as parameters; InvalidArgument for a non-finite number or bad params.
Result<Params> alert_params(const AlertRecord& a);
/// Reads an alert from columns `id, <kAlertColumns>`; DataLoss for a corrupt stored value.
Result<AlertRecord> read_alert(const pqxx::row& r);

extern const char* const kJournalColumns;
JournalRecord read_journal(const pqxx::row& r);
/// Inserts a journal record as it is, sequence number and hashes included; its detail is
/// stored as its canonical dump, the text its hash was computed over.
void insert_journal(pqxx::transaction_base& tx, const JournalRecord& r);

extern const char* const kEvidenceColumns;
/// Appends an evidence record's columns after `id`, in kEvidenceColumns' order.
Params& add_evidence_columns(Params& p, const EvidenceRecord& e);
EvidenceRecord read_evidence(const pqxx::row& r);
CommentRecord read_comment(const pqxx::row& r);
UserRecord read_user(const pqxx::row& r);

/// The authorization columns, in the order authorization_params() gives them.
extern const char* const kAuthorizationColumns;
/// An authorization's columns as parameters; InvalidArgument for a camera name JSON refuses.
Result<Params> authorization_params(const AuthorizationRecord& a);
/// Reads an authorization from kAuthorizationColumns; DataLoss for a corrupt stored value.
Result<AuthorizationRecord> read_authorization(const pqxx::row& r);

}  // namespace vigie::storage::pg

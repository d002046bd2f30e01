#pragma once
// Statement parameters and result fields of the PostgreSQL store (the rows themselves are
// mapped in row_mapping.hpp, shared with the SQLite store). Values travel as text
// (doubles in their shortest exact form, which PostgreSQL reads back to the same double and,
// since version 12, prints the same way), so a record reads back exactly as it was written.
// Internal to the storage module.

#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "core/status.hpp"
#include "storage/records.hpp"
#include "storage/row_mapping.hpp"

namespace vigie::storage::pg {

/// Positional parameters ($1, $2...) of one statement, as text.
class Params {
 public:
  Params() = default;
  explicit Params(const Values& values) { add_all(values); }
  Params& add(std::int64_t v);
  Params& add(int v) { return add(std::int64_t{v}); }
  Params& add(double v);
  Params& add(bool v);
  Params& add(std::string v);
  Params& add(const char* v) { return add(std::string(v)); }
  Params& add(const Value& v);
  Params& add_all(const Values& values);
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

/// A result row as the shared row mappers read it (row_mapping.hpp).
class Row final : public ColumnReader {
 public:
  explicit Row(const pqxx::row& r) : r_(r) {}
  [[nodiscard]] std::int64_t i64(int c) const override { return pg::i64(r_[c]); }
  [[nodiscard]] double f64(int c) const override { return pg::f64(r_[c]); }
  [[nodiscard]] bool boolean(int c) const override { return pg::boolean(r_[c]); }
  [[nodiscard]] std::string text(int c) const override { return pg::text(r_[c]); }
  [[nodiscard]] bool is_null(int c) const override { return r_[c].is_null(); }

 private:
  const pqxx::row& r_;
};

/// Inserts a journal record as it is, sequence number and hashes included.
void insert_journal(pqxx::transaction_base& tx, const JournalRecord& r);

}  // namespace vigie::storage::pg

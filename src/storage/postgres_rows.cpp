// Parameters and result fields of the PostgreSQL store.

#include "storage/postgres_rows.hpp"

#include <charconv>
#include <cstdlib>
#include <variant>

namespace vigie::storage::pg {

Params& Params::add(std::int64_t v) {
  values_.push_back(std::to_string(v));
  return *this;
}

Params& Params::add(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact form
  values_.emplace_back(buf, r.ptr);
  return *this;
}

Params& Params::add(bool v) {
  values_.emplace_back(v ? "t" : "f");
  return *this;
}

Params& Params::add(std::string v) {
  values_.push_back(std::move(v));
  return *this;
}

Params& Params::add(const Value& v) {
  return std::visit([&](const auto& x) -> Params& { return add(x); }, v);
}

Params& Params::add_all(const Values& values) {
  for (const auto& v : values) add(v);
  return *this;
}

pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, const Params& params) {
  if (params.values().empty()) return tx.exec(sql);
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values()));
}

std::int64_t i64(const pqxx::field& f) {
  return f.is_null() ? 0 : f.as<std::int64_t>();
}

double f64(const pqxx::field& f) {
  if (f.is_null()) return 0;
  return std::strtod(f.c_str(), nullptr);
}

bool boolean(const pqxx::field& f) {
  return !f.is_null() && f.as<bool>();
}

std::string text(const pqxx::field& f) {
  return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
}

void insert_journal(pqxx::transaction_base& tx, const JournalRecord& r) {
  exec(tx, insert_sql("journal", kJournalColumns, Placeholder::kPostgres),
       Params(journal_values(r)));
}

}  // namespace vigie::storage::pg

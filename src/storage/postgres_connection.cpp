// Connection strings and errors for the PostgreSQL store.

#include "storage/postgres_connection.hpp"

#include <libpq-fe.h>

#include <fstream>
#include <map>
#include <regex>

#include "core/redact.hpp"

namespace vigie::storage::pg {
namespace {

/// A value in libpq's key=value syntax: single-quoted, with \ and ' escaped.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

Result<std::string> read_password_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return invalid_argument("storage.postgres_password_file: cannot read " + path);
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    return invalid_argument("storage.postgres_password_file: " + path +
                            " is empty (its first line is the password)");
  }
  return line;
}

/// The connection string as a message may show it: a URL's credentials and a key=value
/// string's password (even an unterminated one) hidden.
std::string redact_conninfo(const std::string& url) {
  static const std::regex kPassword(R"(password\s*=\s*('([^'\\]|\\.)*'?|\S*))");
  return redact(std::regex_replace(redact_url(url), kPassword, "password=***"));
}

std::string describe(const std::map<std::string, std::string>& kv) {
  const auto get = [&](const char* key, const char* fallback) {
    const auto it = kv.find(key);
    return it == kv.end() || it->second.empty() ? std::string(fallback) : it->second;
  };
  // libpq's defaults, as it would apply them, so the message names where it really went.
  return "host " + get("host", get("hostaddr", "(local socket)").c_str()) + " port " +
         get("port", "5432") + " database " + get("dbname", get("user", "(default)").c_str()) +
         " user " + get("user", "(default)");
}

}  // namespace

Result<Target> make_target(const PostgresOptions& options, bool read_only,
                           const std::string& url_key) {
  if (options.url.empty()) return invalid_argument(url_key + " is empty");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.url.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return invalid_argument(url_key + " \"" + redact_conninfo(options.url) +
                            "\" is not a PostgreSQL connection string: " + redact(why));
  }
  std::map<std::string, std::string> kv;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) kv[o->keyword] = o->val;
  }
  PQconninfoFree(parsed);
  if (const auto it = kv.find("password"); it != kv.end()) register_secret(it->second);
  if (!options.password_file.empty()) {
    VIGIE_ASSIGN_OR_RETURN(std::string password, read_password_file(options.password_file));
    register_secret(password);
    kv["password"] = std::move(password);
  }
  if (kv.find("connect_timeout") == kv.end()) {
    kv["connect_timeout"] = std::to_string(options.connect_timeout_s);
  }
  if (kv.find("application_name") == kv.end()) kv["application_name"] = "vigie";
  if (read_only) {
    kv["options"] = (kv.count("options") != 0U ? kv["options"] + " " : std::string()) +
                    "-c default_transaction_read_only=on";
  }
  Target t;
  t.description = describe(kv);
  for (const auto& [key, value] : kv) {
    if (!t.conninfo.empty()) t.conninfo += ' ';
    t.conninfo += key + "=" + quoted(value);
  }
  return t;
}

Result<std::unique_ptr<pqxx::connection>> connect(const Target& target) {
  try {
    return std::make_unique<pqxx::connection>(target.conninfo);
  } catch (const std::exception& e) {
    std::string why = redact(e.what());
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    for (auto pos = why.find('\n'); pos != std::string::npos; pos = why.find('\n', pos)) {
      why.replace(pos, 1, "; ");
    }
    return unavailable("cannot connect to PostgreSQL at " + target.description + ": " + why);
  }
}

bool connection_lost(const std::exception& e) {
  return dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
         dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr;
}

Status status_of(const std::exception& e, const std::string& what) {
  std::string why = redact(e.what());
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  const std::string msg = what + ": " + why;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return unavailable(what +
                       ": the connection was lost during COMMIT; whether it committed "
                       "is unknown: " +
                       why);
  }
  if (connection_lost(e)) return unavailable(msg);
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  if (sql == nullptr) return internal_error(msg);
  const std::string state = sql->sqlstate();
  const std::string cls = state.substr(0, 2);
  if (state == "25006") return {StatusCode::kFailedPrecondition, msg};  // read-only session
  if (cls == "23" || cls == "22") return invalid_argument(msg);         // constraint, bad value
  if (cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58") {
    return unavailable(msg);  // connection, conflict, resources, shutdown, I/O
  }
  if (state == "XX001" || state == "XX002") return data_loss(msg);
  return internal_error(msg);
}

}  // namespace vigie::storage::pg

#pragma once
// Reaching PostgreSQL: the connection string from the configuration (a libpq URL or key=value
// string, the password possibly in a file), the description of the target that messages may
// show (never the password), and the mapping of libpqxx's exceptions to Status codes.
// Internal to the storage module.

#include <exception>
#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::storage::pg {

/// A checked connection string and what may be said of it.
struct Target {
  std::string conninfo;     ///< key=value form, password included: never print it
  std::string description;  ///< "host H port P database D user U"
};

/// Parses and completes the options: InvalidArgument naming `url_key` for a string libpq
/// cannot read, and the file for an unreadable password file. Sets a connect timeout when
/// the URL has none, and makes the session read-only when asked.
Result<Target> make_target(const PostgresOptions& options, bool read_only,
                           const std::string& url_key = "storage.postgres_url");

/// Opens a connection; Unavailable naming the target (not the password) when it fails.
Result<std::unique_ptr<pqxx::connection>> connect(const Target& target);

/// The Status a caller can act on for an exception thrown by libpqxx: Unavailable for a lost
/// connection or exhausted resources (retry), InvalidArgument for a change a constraint or a
/// value check refused, FailedPrecondition for a write to a read-only session, DataLoss for
/// corruption, Internal otherwise. `what` prefixes the message.
Status status_of(const std::exception& e, const std::string& what);

/// True when the exception means the connection itself is gone.
bool connection_lost(const std::exception& e);

}  // namespace vigie::storage::pg

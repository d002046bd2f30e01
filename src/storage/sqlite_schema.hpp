#pragma once
// The SQLite schema as an ordered list of migrations: step i takes a database from schema
// version i to i + 1 (PRAGMA user_version), each applied in its own transaction.
// A released step is never edited; a change is a new step at the end.

#include <vector>

namespace vigie::storage {

/// Every migration, oldest first; the latest schema version is its size.
const std::vector<const char*>& schema_migrations();

}  // namespace vigie::storage

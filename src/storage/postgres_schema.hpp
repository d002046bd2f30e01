#pragma once
// The PostgreSQL schema as an ordered list of migrations: step i takes a database from schema
// version i to i + 1 (the `vigie_schema` row), each applied in its own transaction under an
// advisory lock, so nodes starting together apply each step once. A released step is never
// edited; a change is a new step at the end.

#include <vector>

namespace vigie::storage {

/// Serialises writes (and with them journal appends) across every node: "vigie" + 'w'. Taken
/// first in every writing transaction and held until its commit.
inline constexpr const char* kWriteLockSql = "SELECT pg_advisory_xact_lock(130470019590263)";

/// Every PostgreSQL migration, oldest first; the latest schema version is its size.
const std::vector<const char*>& postgres_migrations();

}  // namespace vigie::storage

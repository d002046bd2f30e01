#pragma once
// A store in memory, for the API tests while the SQLite store is not part of the build.
// Same contract as storage::Store: write() is all or nothing, alerts newest first, journal
// chained with storage::journal_hash.

#include <map>
#include <memory>
#include <mutex>

#include "storage/store.hpp"

namespace vigie::testing {

std::unique_ptr<storage::Store> make_memory_store();

}  // namespace vigie::testing

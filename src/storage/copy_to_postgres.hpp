#pragma once
// Moving a single node's store into PostgreSQL, so that the node can join others on a shared
// database with its history: alerts and their workflow, comments, evidence records, users,
// authorizations, camera geometry and the journal, with their ids, seqs and hashes unchanged,
// so that the journal's chain goes on in PostgreSQL exactly as it was (`vigie migrate`).

#include <cstdint>
#include <string>

#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::storage {

/// What a copy moved.
struct CopyReport {
  std::int64_t alerts = 0;
  std::int64_t comments = 0;
  std::int64_t evidence = 0;
  std::int64_t users = 0;
  std::int64_t authorizations = 0;
  std::int64_t camera_geometries = 0;
  std::int64_t journal = 0;           ///< records copied (and verified in PostgreSQL)
  std::int64_t journal_head_seq = 0;  ///< the source's head (0 when its journal was empty)
  std::string journal_head_hash;      ///< empty when the source's journal was empty
  JournalRecord migrated;             ///< the `store.migrated` record, the new head
  std::string target;                 ///< "host H port P database D user U"
};

/// Copies everything `source` holds into the PostgreSQL database `target`, creating its
/// schema (or bringing it up to date) first. The target must hold no vigie data: a database
/// in which a node has already written anything is refused with FailedPrecondition naming
/// what it holds. The copy is one transaction under the write lock that nodes take, so it is
/// committed whole or not at all, and no node writes meanwhile. The source's journal is
/// verified as it is read (DataLoss naming the first record that does not check: a broken
/// chain is not carried over), and the copied journal is read back and verified inside the
/// transaction before the commit. The copy itself is journaled after the copied records, in
/// the same transaction: `store.migrated` by `actor` at `at_ms`, with what was copied and the
/// source's head. `source` should not change during the copy (stop its node first).
Result<CopyReport> copy_to_postgres(const Store& source, const PostgresOptions& target,
                                    const std::string& actor, TimeMs at_ms);

}  // namespace vigie::storage

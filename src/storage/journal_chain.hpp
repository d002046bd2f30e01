#pragma once
// The journal's hash chain: how a record's hash is computed, and how a sequence of records
// is checked. Shared by the stores (which chain on append) and `vigie journal verify`.

#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "storage/records.hpp"

namespace vigie::storage {

/// 64 zeros: the prev_hash of the first record ever written.
extern const char* const kGenesisHash;

/// SHA-256 (lowercase hex) of the canonical form of the record: the compact JSON of
/// {"seq","at_ms","actor","action","detail","prev_hash"} with keys sorted, as nlohmann::json
/// dumps it. `record.hash` is ignored.
std::string journal_hash(const JournalRecord& record);

/// The first problem found in a chain, if any.
struct ChainBreak {
  std::int64_t seq = 0;  ///< the first record that does not check
  std::string reason;    ///< e.g. "hash mismatch", "prev_hash does not match record 41", "gap after 41"
};

/// Checks records given oldest first: each hash is recomputed, each prev_hash must equal the
/// previous record's hash, and seqs must follow each other. The first record's prev_hash is
/// trusted (it is the genesis, or the anchor left by a retention purge).
std::optional<ChainBreak> verify_chain(const std::vector<JournalRecord>& records);

/// Incremental form of verify_chain, for journals too long to hold in memory.
class ChainVerifier {
 public:
  /// Feeds the next record; returns the break, if this record is one.
  std::optional<ChainBreak> add(const JournalRecord& record);
  [[nodiscard]] std::int64_t checked() const { return checked_; }
  [[nodiscard]] const std::string& head_hash() const { return last_hash_; }
  /// After a whole journal (not an excerpt) was fed: when it does not start at the genesis,
  /// the break that says so, unless a retention record in it names its first record as the
  /// anchor the purge left (journal_anchor: seq and prev_hash). Records removed from the
  /// beginning without a journaled purge are found this way. Journals purged by versions
  /// that did not name the anchor are accepted when they hold such an older purge record.
  [[nodiscard]] std::optional<ChainBreak> unanchored_start() const;

 private:
  std::int64_t checked_ = 0;
  std::int64_t last_seq_ = 0;
  std::string last_hash_;
  std::int64_t first_seq_ = 0;
  std::string first_prev_hash_;
  bool anchor_named_ = false;     ///< a retention record names the first record
  bool unnamed_purge_ = false;    ///< a retention record deleted records without naming one
};

/// A record as one JSON object (the export format, one per line).
nlohmann::json to_json(const JournalRecord& record);
/// Parses an exported line; InvalidArgument naming the missing or mistyped field.
Result<JournalRecord> journal_record_from_json(const nlohmann::json& j);

}  // namespace vigie::storage

// The journal's hash chain. The canonical form is nlohmann::json's compact dump of an object
// (std::map, so keys sorted bytewise), which is also what the SQLite store keeps verbatim in
// its `detail` column: a record read back, exported and re-imported hashes the same.

#include "storage/journal_chain.hpp"

#include <array>
#include <cstdio>

#include "core/digest.hpp"

namespace vigie::storage {

const char* const kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string journal_hash(const JournalRecord& record) {
  const nlohmann::json canonical = {{"seq", record.seq},       {"at_ms", record.at_ms},
                                    {"actor", record.actor},   {"action", record.action},
                                    {"detail", record.detail}, {"prev_hash", record.prev_hash}};
  return sha256_hex(canonical.dump());
}

std::optional<ChainBreak> ChainVerifier::add(const JournalRecord& record) {
  // Whatever the outcome, the next record is checked against this one, so a caller that goes
  // on after a break gets the breaks that follow rather than an echo of the first.
  const std::int64_t prev_seq = last_seq_;
  const std::string prev_hash = last_hash_;
  const bool first = checked_ == 0 && prev_hash.empty();
  last_seq_ = record.seq;
  last_hash_ = record.hash;
  if (first) {
    first_seq_ = record.seq;
    first_prev_hash_ = record.prev_hash;
  }
  if (record.action == "retention.purged" && record.detail.is_object()) {
    const auto anchor = record.detail.find("journal_anchor");
    if (anchor != record.detail.end() && anchor->is_object() &&
        anchor->value("seq", std::int64_t{0}) == first_seq_ &&
        anchor->value("prev_hash", std::string()) == first_prev_hash_) {
      anchor_named_ = true;
    } else if (anchor == record.detail.end() &&
               record.detail.value("journal_records_deleted", std::int64_t{0}) > 0) {
      unnamed_purge_ = true;
    }
  }

  if (record.seq < 1) return ChainBreak{record.seq, "seq must be at least 1"};
  if (!first) {
    if (record.seq <= prev_seq) {
      return ChainBreak{record.seq, "seq " + std::to_string(record.seq) + " does not follow " +
                                        std::to_string(prev_seq)};
    }
    if (record.seq != prev_seq + 1) {
      return ChainBreak{record.seq, "gap after " + std::to_string(prev_seq)};
    }
    if (record.prev_hash != prev_hash) {
      return ChainBreak{record.seq, "prev_hash does not match record " + std::to_string(prev_seq)};
    }
  } else if (record.seq == 1 && record.prev_hash != kGenesisHash) {
    return ChainBreak{record.seq, "the first record does not start from the genesis hash"};
  }
  std::string computed;
  try {
    computed = journal_hash(record);
  } catch (const std::exception& e) {
    return ChainBreak{record.seq, std::string("cannot hash: ") + e.what()};
  }
  if (computed != record.hash) return ChainBreak{record.seq, "hash mismatch"};
  ++checked_;
  return std::nullopt;
}

std::optional<ChainBreak> verify_chain(const std::vector<JournalRecord>& records) {
  ChainVerifier verifier;
  for (const auto& r : records) {
    if (auto b = verifier.add(r)) return b;
  }
  return std::nullopt;
}

nlohmann::json to_json(const JournalRecord& record) {
  return {{"seq", record.seq},       {"at_ms", record.at_ms},   {"actor", record.actor},
          {"action", record.action}, {"detail", record.detail}, {"prev_hash", record.prev_hash},
          {"hash", record.hash}};
}

Result<JournalRecord> journal_record_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid_argument("journal record: not a JSON object");
  JournalRecord r;
  const auto integer = [&](const char* key, std::int64_t& out) -> Status {
    const auto it = j.find(key);
    if (it == j.end())
      return invalid_argument(std::string("journal record: missing \"") + key + "\"");
    if (!it->is_number_integer()) {
      return invalid_argument(std::string("journal record: \"") + key + "\" is not an integer");
    }
    if (it->is_number_unsigned() &&
        it->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return invalid_argument(std::string("journal record: \"") + key + "\" is out of range");
    }
    out = it->get<std::int64_t>();
    return Status::ok();
  };
  const auto text = [&](const char* key, std::string& out) -> Status {
    const auto it = j.find(key);
    if (it == j.end())
      return invalid_argument(std::string("journal record: missing \"") + key + "\"");
    if (!it->is_string()) {
      return invalid_argument(std::string("journal record: \"") + key + "\" is not a string");
    }
    out = it->get<std::string>();
    return Status::ok();
  };
  for (const Status& s :
       {integer("seq", r.seq), integer("at_ms", r.at_ms), text("actor", r.actor),
        text("action", r.action), text("prev_hash", r.prev_hash), text("hash", r.hash)}) {
    VIGIE_RETURN_IF_ERROR(s);
  }
  const auto detail = j.find("detail");
  if (detail == j.end()) return invalid_argument("journal record: missing \"detail\"");
  r.detail = *detail;
  if (!is_hex64(r.prev_hash)) {
    return invalid_argument("journal record: \"prev_hash\" is not 64 lowercase hex digits");
  }
  if (!is_hex64(r.hash)) {
    return invalid_argument("journal record: \"hash\" is not 64 lowercase hex digits");
  }
  return r;
}

std::optional<ChainBreak> ChainVerifier::unanchored_start() const {
  if (checked_ == 0 || (first_seq_ == 1 && first_prev_hash_ == kGenesisHash)) return {};
  if (anchor_named_ || unnamed_purge_) return {};
  return ChainBreak{first_seq_, "the journal starts at record " + std::to_string(first_seq_) +
                                    " but no retention purge in it names that record: records "
                                    "before it were removed"};
}

}  // namespace vigie::storage

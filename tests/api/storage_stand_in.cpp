// Stand-ins for the storage functions the API uses (records.hpp, journal_chain.hpp), compiled
// into the API tests only while the storage module is not part of the build.

#include <openssl/sha.h>

#include <cstdio>

#include "storage/journal_chain.hpp"
#include "storage/records.hpp"

namespace vigie::storage {

const char* const kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string_view to_string(AlertState state) {
  switch (state) {
    case AlertState::kNew: return "new";
    case AlertState::kSeen: return "seen";
    case AlertState::kConfirmed: return "confirmed";
    case AlertState::kDismissed: return "dismissed";
    case AlertState::kClosed: return "closed";
  }
  return "new";
}

std::optional<AlertState> alert_state_from_string(std::string_view text) {
  for (AlertState s : {AlertState::kNew, AlertState::kSeen, AlertState::kConfirmed,
                       AlertState::kDismissed, AlertState::kClosed}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string journal_hash(const JournalRecord& r) {
  const nlohmann::json j = {{"seq", r.seq},       {"at_ms", r.at_ms},   {"actor", r.actor},
                            {"action", r.action}, {"detail", r.detail}, {"prev_hash", r.prev_hash}};
  const std::string text = j.dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char c : digest) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

std::optional<ChainBreak> ChainVerifier::add(const JournalRecord& r) {
  std::optional<ChainBreak> broken;
  if (checked_ > 0 && r.seq != last_seq_ + 1) {
    broken = ChainBreak{r.seq, "gap after " + std::to_string(last_seq_)};
  } else if (checked_ > 0 && r.prev_hash != last_hash_) {
    broken = ChainBreak{r.seq, "prev_hash does not match record " + std::to_string(last_seq_)};
  } else if (journal_hash(r) != r.hash) {
    broken = ChainBreak{r.seq, "hash mismatch"};
  }
  ++checked_;
  last_seq_ = r.seq;
  last_hash_ = r.hash;
  return broken;
}

std::optional<ChainBreak> verify_chain(const std::vector<JournalRecord>& records) {
  ChainVerifier v;
  for (const auto& r : records) {
    if (auto b = v.add(r)) return b;
  }
  return std::nullopt;
}

}  // namespace vigie::storage

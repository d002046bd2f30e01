#include "govern/users.hpp"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace vigie::govern {
namespace {

constexpr std::size_t kMinPasswordLength = 8;
constexpr std::size_t kMaxPasswordLength = 1024;

void init_sodium() {
  // Idempotent and thread-safe; failure means the library cannot work at all.
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

storage::TimeMs now_ms(const Clock& clock) {
  return unix_ms(clock.wall_now());
}

Status check_password(const std::string& password) {
  if (password.size() < kMinPasswordLength) {
    return invalid_argument("password must have at least 8 characters");
  }
  if (password.size() > kMaxPasswordLength) return invalid_argument("password is too long");
  return Status::ok();
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kOperator: return "operator";
    case Role::kSupervisor: return "supervisor";
    case Role::kAuditor: return "auditor";
    case Role::kAdmin: return "admin";
  }
  return "operator";
}

std::optional<Role> role_from_string(std::string_view name) {
  for (Role r : kAllRoles) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

Result<std::string> hash_password(std::string_view password, HashCost cost) {
  init_sodium();
  const auto ops = cost == HashCost::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                  : crypto_pwhash_OPSLIMIT_MIN;
  const auto mem = cost == HashCost::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE
                                                  : crypto_pwhash_MEMLIMIT_MIN;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return unavailable("password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(std::string_view password, const std::string& hash) {
  init_sodium();
  if (hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

UserDirectory::UserDirectory(storage::Store& store, const Clock& clock, HashCost cost,
                             HashPoolOptions pool)
    : store_(store),
      clock_(clock),
      cost_(cost),
      pool_(std::make_unique<HashPool>(std::move(pool))) {
  init_sodium();
  // A hash of a random password with the same cost, so that an unknown name takes as long
  // to refuse as a wrong password.
  unsigned char random[16];
  randombytes_buf(random, sizeof random);
  auto dummy = hash_password(std::string_view(reinterpret_cast<const char*>(random), 16), cost);
  if (dummy) dummy_hash_ = *dummy;
}

Result<std::string> UserDirectory::hash(const std::string& password) const {
  Result<std::string> out = internal_error("password hash not run");
  VIGIE_RETURN_IF_ERROR(pool_->run([&] { out = hash_password(password, cost_); }));
  return out;
}

Result<bool> UserDirectory::verify(const std::string& password, const std::string& hash) const {
  bool match = false;
  if (Status s = pool_->run([&] { match = verify_password(password, hash); }); !s.is_ok()) {
    return s;
  }
  return match;
}

bool UserDirectory::valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
  });
}

Result<storage::UserRecord> UserDirectory::create(const std::string& actor,
                                                  const std::string& name, Role role,
                                                  const std::string& password) {
  if (!valid_name(name)) {
    return invalid_argument("user name must be 1 to 64 letters, digits, '.', '-' or '_'");
  }
  VIGIE_RETURN_IF_ERROR(check_password(password));
  auto hash = this->hash(password);
  if (!hash) return hash.status();

  std::lock_guard lock(mutex_);
  auto existing = store_.user(name);
  if (!existing) return existing.status();
  if (existing->has_value()) {
    return Status(StatusCode::kFailedPrecondition, "user '" + name + "' already exists");
  }
  storage::UserRecord user;
  user.name = name;
  user.role = std::string(to_string(role));
  user.password_hash = *hash;
  user.created_ms = now_ms(clock_);
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    VIGIE_RETURN_IF_ERROR(tx.put_user(user));
    storage::JournalDraft draft;
    draft.at_ms = user.created_ms;
    draft.actor = actor;
    draft.action = "user.created";
    draft.detail = {{"user", name}, {"role", user.role}};
    return tx.journal(draft).status();
  });
  if (!s.is_ok()) return s;
  return user;
}

Result<storage::UserRecord> UserDirectory::update(const std::string& actor,
                                                  const std::string& name,
                                                  const UserChange& change) {
  std::optional<std::string> hash;
  if (change.password) {
    VIGIE_RETURN_IF_ERROR(check_password(*change.password));
    auto h = this->hash(*change.password);
    if (!h) return h.status();
    hash = *h;
  }
  std::lock_guard lock(mutex_);
  auto existing = store_.user(name);
  if (!existing) return existing.status();
  if (!existing->has_value()) return not_found("no user '" + name + "'");
  storage::UserRecord user = **existing;
  nlohmann::json changed = nlohmann::json::object();
  if (change.role) {
    changed["role"] = {{"from", user.role}, {"to", std::string(to_string(*change.role))}};
    user.role = std::string(to_string(*change.role));
  }
  if (change.disabled) {
    changed["disabled"] = *change.disabled;
    user.disabled = *change.disabled;
  }
  if (hash) {
    changed["password"] = "changed";
    user.password_hash = *hash;
  }
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    VIGIE_RETURN_IF_ERROR(tx.put_user(user));
    storage::JournalDraft draft;
    draft.at_ms = now_ms(clock_);
    draft.actor = actor;
    draft.action = "user.updated";
    draft.detail = {{"user", name}, {"changes", changed}};
    return tx.journal(draft).status();
  });
  if (!s.is_ok()) return s;
  return user;
}

Status UserDirectory::disable(const std::string& actor, const std::string& name) {
  UserChange change;
  change.disabled = true;
  return update(actor, name, change).status();
}

Result<bool> UserDirectory::ensure_admin(const std::string& name, const std::string& password) {
  auto existing = find(name);
  if (!existing) return existing.status();
  if (existing->has_value()) return false;
  auto created = create("system", name, Role::kAdmin, password);
  if (!created) {
    // Another thread or node created it first: that is what was asked.
    if (created.status().code() == StatusCode::kFailedPrecondition) return false;
    return created.status();
  }
  return true;
}

Result<storage::UserRecord> UserDirectory::authenticate(const std::string& name,
                                                        const std::string& password) const {
  const Status refused = invalid_argument("wrong user name or password");
  if (!valid_name(name) || password.size() > kMaxPasswordLength) {
    auto checked = verify(password.substr(0, kMaxPasswordLength), dummy_hash_);
    return checked ? refused : checked.status();
  }
  auto found = store_.user(name);
  if (!found) return found.status();
  if (!found->has_value()) {
    auto checked = verify(password, dummy_hash_);
    return checked ? refused : checked.status();
  }
  const storage::UserRecord& user = **found;
  auto match = verify(password, user.password_hash);
  if (!match) return match.status();
  if (!*match || user.disabled) return refused;
  return user;
}

Result<std::optional<storage::UserRecord>> UserDirectory::find(const std::string& name) const {
  return store_.user(name);
}

Result<std::vector<storage::UserRecord>> UserDirectory::list() const {
  return store_.users();
}

}  // namespace vigie::govern

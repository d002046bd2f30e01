// vigie journal: check the journal's hash chain, and export a time range of it.
//
// `verify` reads the database page by page through a ChainVerifier, so a journal of any
// length is checked in constant memory. `export` is an access to personal data records: it is
// itself journaled before anything is written out. docs/storage.md documents both formats.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "config/config.hpp"
#include "core/iso_time.hpp"
#include "core/redact.hpp"
#include "core/status.hpp"
#include "storage/journal_chain.hpp"
#include "storage/store.hpp"

namespace vigie::cli {
namespace {

using nlohmann::json;
using storage::JournalRecord;
using storage::TimeMs;

constexpr int kPage = 1000;

struct Options {
  std::string data_dir = config::StorageConfig{}.data_dir;
  std::string db;
  std::string postgres;       // a PostgreSQL URL instead of a file
  std::string password_file;  // its password, else the URL's, PGPASSWORD or ~/.pgpass
  std::string file;
  std::string from;
  std::string to;
  std::string out;
  std::string user = "cli";
  std::string expect_head;  // "SEQ:HASH" seen elsewhere (MQTT, the API, a printout)
};

storage::JournalQuery page_after(std::int64_t after, std::optional<TimeMs> from = {},
                                 std::optional<TimeMs> to = {}, int limit = kPage) {
  storage::JournalQuery q;
  q.after_seq = after;
  q.from_ms = from;
  q.to_ms = to;
  q.limit = limit;
  return q;
}

std::filesystem::path db_path(const Options& o) {
  if (!o.db.empty()) return o.db;
  return std::filesystem::path(o.data_dir) / "vigie.db";
}

std::string iso(TimeMs ms) {
  return format_iso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

/// Opens an existing database; prints why not and sets `code` when it cannot. `read_only`:
/// nothing is created or migrated, and a copy the reader cannot write is read as it is.
std::unique_ptr<storage::Store> open_existing(const Options& o, int& code,
                                              bool read_only = false) {
  const auto refused = [&](const Status& status) -> std::unique_ptr<storage::Store> {
    std::fprintf(stderr, "journal: %s\n", redact(status.to_string()).c_str());
    const auto c = status.code();
    code = c == StatusCode::kInvalidArgument || c == StatusCode::kFailedPrecondition ||
                   c == StatusCode::kNotFound
               ? 2
               : 1;
    return nullptr;
  };
  if (!o.postgres.empty()) {
    // Verification needs only SELECT rights and changes nothing, as on a copied file.
    const storage::PostgresOptions pg{o.postgres, o.password_file, 10};
    auto store = read_only ? storage::open_postgres_store_read_only(pg)
                           : storage::open_postgres_store(pg);
    if (!store.is_ok()) return refused(store.status());
    return std::move(*store);
  }
  const auto path = db_path(o);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::fprintf(stderr, "journal: no database at %s (give --data-dir DIR or --db FILE)\n",
                 path.c_str());
    code = 2;
    return nullptr;
  }
  auto store =
      read_only ? storage::open_sqlite_store_read_only(path) : storage::open_sqlite_store(path);
  if (!store.is_ok()) return refused(store.status());
  return std::move(*store);
}

/// "SEQ:HASH" as --expect-head takes it.
std::optional<std::pair<std::int64_t, std::string>> parse_head(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return {};
  try {
    std::size_t used = 0;
    const std::int64_t seq = std::stoll(text.substr(0, colon), &used);
    if (used != colon || seq < 1) return {};
    return std::make_pair(seq, text.substr(colon + 1));
  } catch (const std::exception&) {
    return {};
  }
}

int verify_database(const Options& o) {
  std::optional<std::pair<std::int64_t, std::string>> expected;
  if (!o.expect_head.empty()) {
    expected = parse_head(o.expect_head);
    if (!expected) {
      std::fprintf(stderr, "journal: --expect-head: '%s' is not SEQ:HASH\n",
                   o.expect_head.c_str());
      return 2;
    }
  }
  int code = 0;
  auto store = open_existing(o, code, /*read_only=*/true);
  if (!store) return code;
  storage::ChainVerifier verifier;
  std::optional<JournalRecord> first;
  std::optional<JournalRecord> last;
  std::optional<std::string> expected_hash_seen;  // the hash of record expected->first
  std::int64_t after = 0;
  for (;;) {
    auto page = store->journal(page_after(after));
    if (!page.is_ok()) {
      std::fprintf(stderr, "journal: reading after record %lld: %s\n",
                   static_cast<long long>(after), page.status().to_string().c_str());
      return 1;
    }
    if (page->empty()) break;
    for (const auto& r : *page) {
      if (auto b = verifier.add(r)) {
        std::printf("journal BROKEN at record %lld: %s\n", static_cast<long long>(b->seq),
                    b->reason.c_str());
        return 1;
      }
      if (!first) first = r;
      last = r;
      if (expected && r.seq == expected->first) expected_hash_seen = r.hash;
    }
    after = page->back().seq;
  }
  if (auto b = verifier.unanchored_start()) {
    std::printf("journal BROKEN at record %lld: %s\n", static_cast<long long>(b->seq),
                b->reason.c_str());
    return 1;
  }
  if (expected) {
    // A head published earlier must still be in the chain: a journal cut at its end verifies
    // on its own, but not against what was seen of it.
    if (!last || last->seq < expected->first) {
      std::printf("journal BROKEN after record %lld: the expected head %lld is missing: the end "
                  "of the journal was removed\n",
                  static_cast<long long>(last ? last->seq : 0),
                  static_cast<long long>(expected->first));
      return 1;
    }
    if (!expected_hash_seen || *expected_hash_seen != expected->second) {
      std::printf("journal BROKEN at record %lld: its hash is not the expected head's: the "
                  "journal was rewritten from there or before\n",
                  static_cast<long long>(expected->first));
      return 1;
    }
  }
  if (verifier.checked() == 0) {
    std::printf("journal OK: 0 records, head none\n");
    return 0;
  }
  std::printf("journal OK: %lld records, head %s\n", static_cast<long long>(verifier.checked()),
              verifier.head_hash().c_str());
  std::printf("first record %lld at %s%s\n", static_cast<long long>(first->seq),
              iso(first->at_ms).c_str(),
              first->seq == 1 ? ", from the genesis"
                              : ", from the anchor a journaled retention purge named");
  std::printf("last record %lld at %s\n", static_cast<long long>(last->seq),
              iso(last->at_ms).c_str());
  if (expected) {
    std::printf("the expected head %lld is in the chain\n",
                static_cast<long long>(expected->first));
  }
  return 0;
}

int verify_export(const Options& o) {
  std::ifstream in(o.file);
  if (!in) {
    std::fprintf(stderr, "journal: cannot read %s\n", o.file.c_str());
    return 2;
  }
  storage::ChainVerifier verifier;
  std::optional<json> head;
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::string line;
  long number = 0;
  const auto broken_line = [&](const std::string& why) {
    std::printf("journal BROKEN at line %ld: %s\n", number, why.c_str());
    return 1;
  };
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    if (head) return broken_line("a line after the chain_head line");
    json j;
    try {
      j = json::parse(line);
    } catch (const std::exception&) {
      return broken_line("not JSON");
    }
    if (j.is_object() && j.contains("chain_head")) {
      head = std::move(j);
      continue;
    }
    auto r = storage::journal_record_from_json(j);
    if (!r.is_ok()) return broken_line(r.status().message());
    if (auto b = verifier.add(*r)) {
      std::printf("journal BROKEN at record %lld: %s\n", static_cast<long long>(b->seq),
                  b->reason.c_str());
      return 1;
    }
    if (first == 0) first = r->seq;
    last = r->seq;
  }
  if (!head) return broken_line("no chain_head line: the export is truncated");
  std::int64_t head_seq = 0;
  std::string head_hash;
  std::int64_t count = -1;
  try {
    head_seq = head->at("chain_head").at("seq").get<std::int64_t>();
    head_hash = head->at("chain_head").at("hash").get<std::string>();
    count = head->at("records").get<std::int64_t>();
  } catch (const std::exception& e) {
    return broken_line(std::string("malformed chain_head line: ") + e.what());
  }
  if (count != verifier.checked()) {
    return broken_line(fmt::format("the chain_head line counts {} records, the file has {}", count,
                                   verifier.checked()));
  }
  if (last > head_seq) {
    return broken_line(fmt::format("record {} is after the chain head {}", last, head_seq));
  }
  if (last == head_seq && verifier.head_hash() != head_hash) {
    std::printf("journal BROKEN at record %lld: hash differs from the chain_head line\n",
                static_cast<long long>(last));
    return 1;
  }
  std::printf("journal OK: %lld records, head %s\n", static_cast<long long>(verifier.checked()),
              verifier.checked() > 0 ? verifier.head_hash().c_str() : "none");
  if (verifier.checked() == 0) {
    std::printf("no records in the range; the journal's head was record %lld\n",
                static_cast<long long>(head_seq));
  } else if (last == head_seq) {
    std::printf(
        "records %lld to %lld; the export reaches the journal's head %lld, and matches it\n",
        static_cast<long long>(first), static_cast<long long>(last),
        static_cast<long long>(head_seq));
  } else {
    std::printf(
        "records %lld to %lld; the journal's head was then record %lld, outside the range: compare "
        "record %lld's hash with the database to tie the export to it\n",
        static_cast<long long>(first), static_cast<long long>(last),
        static_cast<long long>(head_seq), static_cast<long long>(last));
  }
  return 0;
}

int verify(const Options& o) {
  return o.file.empty() ? verify_database(o) : verify_export(o);
}

/// The exported span, as the seqs of its first and last records (0, 0 when it is empty): from
/// the first record stamped at or after `from_ms` to the last stamped before `to_ms`, none
/// after `head_seq`. Contiguous in seq, so that it chains even where concurrent writers'
/// stamps are a millisecond out of order.
Result<std::pair<std::int64_t, std::int64_t>> exported_span(const storage::Store& store,
                                                            TimeMs from_ms, TimeMs to_ms,
                                                            std::int64_t head_seq) {
  std::int64_t first = 0;
  std::int64_t last = 0;
  {
    VIGIE_ASSIGN_OR_RETURN(const auto r, store.journal(page_after(0, from_ms, {}, 1)));
    if (!r.empty() && r.front().seq <= head_seq) first = r.front().seq;
  }
  if (first > 0) {
    std::int64_t after = first - 1;
    for (;;) {
      VIGIE_ASSIGN_OR_RETURN(const auto page, store.journal(page_after(after, {}, to_ms)));
      bool beyond = false;
      for (const auto& r : page) {
        if (r.seq > head_seq) {
          beyond = true;
          break;
        }
        last = r.seq;
      }
      if (page.empty() || beyond) break;
      after = page.back().seq;
    }
  }
  return std::make_pair(first, last);
}

int export_range(const Options& o) {
  const auto from = parse_iso8601(o.from);
  const auto to = parse_iso8601(o.to);
  if (!from || !to) {
    std::fprintf(stderr,
                 "journal export: --from and --to take ISO 8601 times with an offset, e.g. "
                 "2026-03-01T00:00:00Z\n");
    return 2;
  }
  const TimeMs from_ms = unix_ms(*from);
  const TimeMs to_ms_ = unix_ms(*to);
  if (from_ms >= to_ms_) {
    std::fprintf(stderr, "journal export: --from must be before --to\n");
    return 2;
  }
  if (o.user.empty()) {
    std::fprintf(stderr, "journal export: --user must not be empty\n");
    return 2;
  }
  int code = 0;
  auto store = open_existing(o, code);
  if (!store) return code;

  std::ofstream file;
  if (!o.out.empty()) {
    file.open(o.out, std::ios::out | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "journal export: cannot write %s\n", o.out.c_str());
      return 2;
    }
  }
  std::ostream& out = o.out.empty() ? std::cout : file;

  // The access is on record before any record leaves the database. Its record is also the
  // head the export is tied to: nothing after it is exported.
  const TimeMs now = unix_ms(std::chrono::system_clock::now());
  JournalRecord access;
  const Status journaled = store->write([&](storage::Tx& tx) -> Status {
    VIGIE_ASSIGN_OR_RETURN(access,
                           tx.journal({now,
                                       o.user,
                                       "journal.exported",
                                       {{"from", iso(from_ms)},
                                        {"to", iso(to_ms_)},
                                        {"out", o.out.empty() ? std::string("stdout") : o.out}}}));
    return Status::ok();
  });
  if (!journaled.is_ok()) {
    std::fprintf(stderr, "journal export: cannot journal the export, nothing exported: %s\n",
                 journaled.to_string().c_str());
    return 1;
  }

  // Two passes: find the span's end, then write it.
  const auto fail = [](const Status& s) {
    std::fprintf(stderr, "journal export: %s\n", s.to_string().c_str());
    return 1;
  };
  const auto span = exported_span(*store, from_ms, to_ms_, access.seq);
  if (!span.is_ok()) return fail(span.status());
  const auto [first, last] = *span;
  std::int64_t count = 0;
  if (first > 0 && last >= first) {
    std::int64_t after = first - 1;
    while (after < last) {
      auto page = store->journal(page_after(after));
      if (!page.is_ok()) return fail(page.status());
      if (page->empty()) break;
      for (const auto& r : *page) {
        if (r.seq > last) break;
        out << storage::to_json(r).dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        ++count;
      }
      after = page->back().seq;
    }
  }
  const json head = {{"chain_head", {{"seq", access.seq}, {"hash", access.hash}}},
                     {"from", iso(from_ms)},
                     {"to", iso(to_ms_)},
                     {"exported_at", iso(now)},
                     {"records", count}};
  out << head.dump() << '\n';
  out.flush();
  if (!out) {
    std::fprintf(stderr, "journal export: write error\n");
    return 1;
  }
  if (count == 0) {
    std::fprintf(stderr, "exported 0 records to %s\n", o.out.empty() ? "stdout" : o.out.c_str());
  } else {
    std::fprintf(stderr, "exported %lld records (%lld to %lld) to %s\n",
                 static_cast<long long>(count), static_cast<long long>(first),
                 static_cast<long long>(last), o.out.empty() ? "stdout" : o.out.c_str());
  }
  return 0;
}

void add_location_options(CLI::App* sub, Options& o) {
  auto* dir = sub->add_option("--data-dir", o.data_dir,
                              "Data directory holding vigie.db (default: storage.data_dir's "
                              "default, /var/lib/vigie)");
  auto* db = sub->add_option("--db", o.db, "The database file itself");
  dir->excludes(db);
  auto* pg = sub->add_option("--postgres", o.postgres,
                             "A PostgreSQL database instead (libpq URL or key=value string); the "
                             "password from --password-file, the URL, PGPASSWORD or ~/.pgpass");
  pg->excludes(dir)->excludes(db);
  sub->add_option("--password-file", o.password_file,
                  "File whose first line is the PostgreSQL password")
      ->needs(pg);
}

}  // namespace

Command add_journal_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "journal", "Check the journal's hash chain, or export a time range of it.");
  sub->require_subcommand(1);

  CLI::App* verify_cmd = sub->add_subcommand(
      "verify",
      "Check every record's hash and link to its predecessor. Prints \"journal OK: N records, "
      "head HASH\" (exit 0) or \"journal BROKEN at record SEQ: REASON\" (exit 1).");
  add_location_options(verify_cmd, *opts);
  verify_cmd
      ->add_option("--file", opts->file,
                   "Verify an export (JSON lines from `journal export`) instead of a database")
      ->excludes(verify_cmd->get_option("--data-dir"))
      ->excludes(verify_cmd->get_option("--db"))
      ->excludes(verify_cmd->get_option("--postgres"));
  verify_cmd
      ->add_option("--expect-head", opts->expect_head,
                   "SEQ:HASH of a head published earlier (MQTT vigie/journal/head, the API): the "
                   "journal must still hold that record with that hash")
      ->excludes(verify_cmd->get_option("--file"));

  CLI::App* export_cmd = sub->add_subcommand(
      "export",
      "Write the records of a time range as JSON lines, then a chain_head line. The export is "
      "itself journaled (journal.exported).");
  add_location_options(export_cmd, *opts);
  export_cmd->add_option("--from", opts->from, "Start, ISO 8601 with offset (inclusive)")
      ->required();
  export_cmd->add_option("--to", opts->to, "End, ISO 8601 with offset (exclusive)")->required();
  export_cmd->add_option("--out", opts->out, "Output file (default: standard output)");
  export_cmd->add_option("--user", opts->user, "Who exports, as journaled (default: cli)");

  return {sub, [opts, verify_cmd, export_cmd] {
            try {
              if (verify_cmd->parsed()) return verify(*opts);
              if (export_cmd->parsed()) return export_range(*opts);
            } catch (const std::exception& e) {
              std::fprintf(stderr, "journal: %s\n", e.what());
              return 1;
            }
            return 2;
          }};
}

}  // namespace vigie::cli

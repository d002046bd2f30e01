#include "storage/group_commit.hpp"

#include <exception>
#include <utility>

namespace vigie::storage {

Status call_changes(const Changes& changes, Tx& tx) {
  try {
    return changes(tx);
  } catch (const std::exception& e) {
    return internal_error(std::string("exception inside a store transaction: ") + e.what());
  } catch (...) {
    return internal_error("unknown exception inside a store transaction");
  }
}

Status GroupCommit::write(const Changes& changes) {
  waiting_.fetch_add(1);
  std::unique_lock lock(write_mu_);
  waiting_.fetch_sub(1);
  if (in_write_) {
    return {StatusCode::kFailedPrecondition, "Store::write called from inside write()"};
  }

  if (!batch_) {
    if (auto s = connection_->begin(); !s.is_ok()) return commit_failed(s);
    batch_ = std::make_shared<Batch>();
    batch_writes_ = 0;
  }
  // The first write of a batch needs no savepoint: were it refused, the transaction holds
  // nothing else and ends with it. So a writer alone costs what it did before batching.
  const bool savepoint = batch_writes_ > 0;
  if (savepoint) {
    if (auto s = connection_->savepoint(); !s.is_ok()) return finish_batch(s);
  }
  in_write_ = true;
  Connection::Ran ran = connection_->run(changes);
  in_write_ = false;
  Status result = std::move(ran.result);
  // A refusal by the caller's own checks says nothing of the database's health.
  if (!ran.failure.is_ok()) result = commit_failed(result.is_ok() ? ran.failure : result);

  bool joined = false;
  if (!result.is_ok()) {
    if (!savepoint) {
      (void)finish_batch(Status::ok());  // nothing joined: rolled back whole
      return result;
    }
    if (auto s = connection_->roll_back_write(result); !s.is_ok()) return finish_batch(s);
  } else {
    if (savepoint) {
      if (auto s = connection_->release(); !s.is_ok()) return finish_batch(s);
    }
    joined = true;
    ++batch_writes_;
  }

  const std::shared_ptr<Batch> mine = batch_;
  if (waiting_.load() > 0 && batch_writes_ < kMaxBatch) {
    lock.unlock();  // the next writer carries the batch on
    if (!joined) return result;
    std::unique_lock done(done_mu_);
    done_cv_.wait(done, [&] { return mine->done; });
    return mine->status;
  }
  const Status committed = finish_batch(Status::ok());
  return joined ? committed : result;
}

std::string GroupCommit::commit_problem() const {
  std::lock_guard lock(problem_mu_);
  return commit_problem_;
}

Status GroupCommit::finish_batch(const Status& lost) {
  Status outcome = lost;
  if (outcome.is_ok()) outcome = connection_->end(batch_writes_ > 0);
  connection_->discard();  // what was not committed, if anything
  const bool committed = outcome.is_ok() && batch_writes_ > 0;
  if (committed) {
    std::lock_guard problem(problem_mu_);
    commit_problem_.clear();
  } else if (!outcome.is_ok()) {
    outcome = commit_failed(outcome);
  }
  {
    std::lock_guard done(done_mu_);
    batch_->done = true;
    batch_->status = outcome;
  }
  done_cv_.notify_all();
  batch_.reset();
  batch_writes_ = 0;
  return outcome;
}

Status GroupCommit::commit_failed(Status s) {
  if (s.code() != StatusCode::kInvalidArgument) {
    std::lock_guard lock(problem_mu_);
    commit_problem_ = s.message();
  }
  return s;
}

}  // namespace vigie::storage

#pragma once
// The stages' workspaces of a run (stages/WaferStages.hpp, StageWorkspace), one per wafer
// being processed: a worker leases one for a wafer and hands it back after, so the image
// stage's buffers are allocated about once per worker for the run instead of once per
// wafer. A pool rather than one per thread: whichever thread runs a wafer, and however
// oneTBB schedules it, no workspace ever serves two wafers at once.
#include <memory>
#include <mutex>
#include <vector>

#include "stages/WaferStages.hpp"

namespace yf {

class WorkspacePool {
 public:
  // A workspace lent for the lifetime of the lease; back to the pool on destruction
  // (also when the wafer throws: a workspace holds nothing a later wafer would read).
  class Lease {
   public:
    Lease(WorkspacePool& pool, std::unique_ptr<StageWorkspace> ws) : pool_(pool), ws_(std::move(ws)) {}
    ~Lease() { pool_.give_back(std::move(ws_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    StageWorkspace& operator*() const { return *ws_; }

   private:
    WorkspacePool& pool_;
    std::unique_ptr<StageWorkspace> ws_;
  };

  // The workspace handed back last (its buffers the most recently used), or a new one.
  Lease lease() {
    std::unique_ptr<StageWorkspace> ws;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        ws = std::move(free_.back());
        free_.pop_back();
      } else {
        ++made_;
      }
    }
    if (!ws) ws = std::make_unique<StageWorkspace>();
    return Lease(*this, std::move(ws));
  }

  // Workspaces made so far (leased or free): at most the number of wafers ever processed
  // at once.
  std::size_t size() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return made_;
  }

 private:
  void give_back(std::unique_ptr<StageWorkspace> ws) {
    if (!ws) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(ws));
  }

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<StageWorkspace>> free_;
  std::size_t made_ = 0;
};

}  // namespace yf

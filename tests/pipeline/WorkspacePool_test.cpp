// The pipeline's pool of stage workspaces (pipeline/WorkspacePool.hpp): a workspace is
// lent to one wafer at a time and reused by the next.
#include <catch2/catch.hpp>

#include "pipeline/WorkspacePool.hpp"

using yf::StageWorkspace;
using yf::WorkspacePool;

TEST_CASE("workspace pool: a handed-back workspace is lent again, never two at once", "[pipeline]") {
  WorkspacePool pool;
  CHECK(pool.size() == 0);
  const StageWorkspace* first = nullptr;
  {
    const WorkspacePool::Lease a = pool.lease();
    first = &*a;
    const WorkspacePool::Lease b = pool.lease();  // a is still out: another one
    CHECK(&*b != first);
    CHECK(pool.size() == 2);
  }
  // Both back: the next wafers reuse them, nothing new is made.
  {
    const WorkspacePool::Lease c = pool.lease();
    const WorkspacePool::Lease d = pool.lease();
    CHECK((&*c == first || &*d == first));
    CHECK(&*c != &*d);
  }
  CHECK(pool.size() == 2);
  // A wafer that throws gives its workspace back too.
  try {
    const WorkspacePool::Lease e = pool.lease();
    throw std::runtime_error("wafer failed");
  } catch (const std::runtime_error&) {
  }
  const WorkspacePool::Lease f = pool.lease();
  const WorkspacePool::Lease g = pool.lease();
  CHECK(pool.size() == 2);
}

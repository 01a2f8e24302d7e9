#!/usr/bin/env bash
# ThreadSanitizer run of the pipeline: the flow-graph tests and `yieldflow run -j2` on the
# bundled samples (sort maps, defect lists and images), with any TSan report failing the run.
#
# Debian's libtbb.so is not instrumented, so TSan cannot see the flow graph's own hand-offs
# (a message built on one worker and read on another) and reports a false race on each. This
# script therefore builds oneTBB from Debian's own source package - the same upstream version
# as libtbb-dev (2021.8.0), checked against the archive's SHA-256 - with -fsanitize=thread
# into build/tbb-tsan (once, ~2 min), and builds the tsan preset against it.
# HDF5, OpenCV and zlib stay uninstrumented: every HDF5 call holds h5::library_mutex(),
# an instrumented std::mutex, which is what TSan checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

tbb_version=2021.8.0
tbb_sha256=7e9111b8bb59c8800bf6d0b06afe7b0891937443d2dae1ee1101c8e2ede6a7ef
tbb_url="http://deb.debian.org/debian/pool/main/o/onetbb/onetbb_${tbb_version}.orig.tar.xz"
tbb_prefix="$PWD/build/tbb-tsan"

if [ ! -f "$tbb_prefix/lib/cmake/TBB/TBBConfig.cmake" ]; then
  missing=()
  command -v curl >/dev/null || missing+=(curl)
  command -v xz >/dev/null || missing+=(xz-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates "${missing[@]}"
  fi
  src="$PWD/build/tbb-tsan-src"
  rm -rf "$src" && mkdir -p "$src"
  curl -sSfL -o "$src/onetbb.tar.xz" "$tbb_url"
  echo "$tbb_sha256  $src/onetbb.tar.xz" | sha256sum -c --quiet
  tar -C "$src" -xf "$src/onetbb.tar.xz"
  # Tests, strict warnings, the allocator and IPO are not needed for an instrumented runtime.
  cmake -S "$src/oneTBB-$tbb_version" -B "$src/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_STRICT=OFF -DTBBMALLOC_BUILD=OFF \
        -DTBB_ENABLE_IPO=OFF -DCMAKE_INSTALL_PREFIX="$tbb_prefix" >/dev/null
  cmake --build "$src/build"
  cmake --install "$src/build" >/dev/null
fi

cmake --preset tsan -DTBB_DIR="$tbb_prefix/lib/cmake/TBB" >/dev/null
cmake --build build/tsan --target yieldflow yf_tests_pipeline yf_tests_app

# TSan exits 66 on its first report (halt_on_error), which fails the script.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp"
build/tsan/tests/pipeline/yf_tests_pipeline
# `detect` runs OpenCV's own parallel_for_ (the pipeline turns it off): uninstrumented OpenCV
# code handing work to TBB, which TSan cannot judge, so the [detect] cases are left out.
build/tsan/tests/app/yf_tests_app "~[detect]"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for jobs in 2 4; do
  build/tsan/app/yieldflow run -q -j "$jobs" -o "$out/run-j$jobs" samples/data/*.h5
done
echo "tsan: no data race reported"

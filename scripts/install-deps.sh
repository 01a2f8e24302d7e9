#!/usr/bin/env bash
# Installs every Debian 12 package that building and testing yieldflow needs.
# Idempotent: packages already present are skipped, and when nothing is
# missing the script touches neither the network nor apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libopencv-dev          # core, imgproc, imgcodecs, ml (CMake config lives here)
  libtbb-dev             # oneTBB flow graph
  libhdf5-dev            # HDF5 C and C++ (hdf5::hdf5, hdf5::hdf5_cpp)
  hdf5-tools             # h5dump, used by tests to inspect outputs
  zlib1g-dev             # deflate: results.h5 chunks, image chunks, gzip inputs
  libeigen3-dev
  catch2                 # Catch2 2.13
  libspdlog-dev libfmt-dev
  libcli11-dev
  nlohmann-json3-dev
  libyaml-cpp-dev        # --config files
  libbenchmark-dev       # bench/
  zlib1g-dev             # stages/ImageDecode: inflates /images chunks off the HDF5 lock
  libdeflate-dev         # stages/ImageDecode: the same, ~2x faster (optional: zlib without it)
  time                   # /usr/bin/time: peak RSS in bench/run_bench.sh
  clang libclang-rt-14-dev      # libFuzzer targets of the importers (fuzz/, scripts/fuzz.sh)
  libxml2-dev            # SEMI E142 / G85 XML maps (io/import)
  libpng-dev             # report.html's die-map PNGs (io/report/PngWriter), without OpenCV's imgcodecs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Warnings as an INTERFACE target, linked privately by every project target.
add_library(yf_warnings INTERFACE)
target_compile_options(yf_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
  # GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O2 (GCC bug 105651).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)

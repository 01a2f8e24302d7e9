# Warnings as an INTERFACE target, linked privately by every project target.
add_library(yf_warnings INTERFACE)
target_compile_options(yf_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor)

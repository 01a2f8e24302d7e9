# Every dependency comes from Debian 12's packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(TBB REQUIRED)                       # oneTBB 2021.8
find_package(HDF5 REQUIRED COMPONENTS C)         # 1.10.8: hdf5::hdf5
find_package(ZLIB REQUIRED)                      # results.h5 chunks deflated outside the HDF5 lock; gzip inputs of io/import
# libdeflate (optional, libdeflate-dev): stages/ImageDecode inflates image chunks with it in
# about half zlib's time; without it, zlib.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(LIBDEFLATE QUIET IMPORTED_TARGET libdeflate)
endif()
find_package(Eigen3 REQUIRED NO_MODULE)
find_package(spdlog REQUIRED)                    # uses external fmt 9
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs ml)  # imgcodecs: `detect` reads TIFF, writes PNG
find_package(PNG REQUIRED)                       # libpng 1.6: the report's die-map PNGs (io/report/PngWriter)
find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)  # header-only, no CMake config in Debian

if(NOT TARGET hdf5::hdf5)
  add_library(hdf5::hdf5 INTERFACE IMPORTED)
  target_include_directories(hdf5::hdf5 INTERFACE ${HDF5_C_INCLUDE_DIRS} ${HDF5_INCLUDE_DIRS})
  target_link_libraries(hdf5::hdf5 INTERFACE ${HDF5_C_LIBRARIES} ${HDF5_LIBRARIES})
endif()
# Two OpenCV targets: imgcodecs on Debian 12 pulls in GDAL, GDCM, gfortran and ~120 other
# shared libraries (~60 ms of every process start), so only what reads or writes arbitrary
# image files links yf_opencv_codecs: `detect`'s module libyf_image_files.so
# (app/ImageFilesModule.cpp, loaded on first use) and tests. Everything else, the yieldflow
# executable included, links yf_opencv.
add_library(yf_opencv INTERFACE)
target_include_directories(yf_opencv SYSTEM INTERFACE ${OpenCV_INCLUDE_DIRS})
target_link_libraries(yf_opencv INTERFACE opencv_core opencv_imgproc opencv_ml)
add_library(yf_opencv_codecs INTERFACE)
target_link_libraries(yf_opencv_codecs INTERFACE yf_opencv opencv_imgcodecs)

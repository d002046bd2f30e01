# Every third-party library comes from Debian 12 packages (see README.md for why each is here).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenCV 4.6 REQUIRED COMPONENTS core imgproc imgcodecs video calib3d dnn)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(SQLite3 3.24 REQUIRED)
# libpqxx 6.4 (Debian 12) and the libpq under it: the PostgreSQL store.
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx libpq)
pkg_check_modules(LIBAV REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil libswscale)
find_package(OpenSSL REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# Debian builds cpp-httplib as a library with OpenSSL support (httplib::SSLServer).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(MOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)
# libsystemd (optional): sd_notify for the Type=notify service and its watchdog. Without
# libsystemd-dev the binary builds and runs the same, but cannot tell systemd it is ready.
option(VIGIE_SYSTEMD "Use libsystemd for service notifications when it is installed" ON)
set(VIGIE_HAVE_SYSTEMD OFF)
if(VIGIE_SYSTEMD)
  pkg_check_modules(SYSTEMD QUIET IMPORTED_TARGET libsystemd)
  if(SYSTEMD_FOUND)
    set(VIGIE_HAVE_SYSTEMD ON)
  else()
    message(STATUS "libsystemd not found: building without systemd notifications")
  endif()
endif()
if(VIGIE_BUILD_TESTS)
  # `make demo` installs only what running needs; `make test` adds GoogleTest and the servers
  # the tests start. Without GoogleTest the engine still builds, without its tests.
  find_package(GTest QUIET)
  if(NOT GTest_FOUND)
    message(STATUS "GoogleTest not found: building without tests (make test installs it)")
    set(VIGIE_BUILD_TESTS OFF)
  endif()
endif()

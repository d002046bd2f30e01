# Read by cpack: the service unit is written at configure time with the install prefix, and
# the package installs under /usr, so both must agree.
if(NOT CPACK_VIGIE_CONFIGURED_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "the package needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(found ${CPACK_VIGIE_CONFIGURED_PREFIX}); `make package` does it")
endif()

# vigie_module(NAME SOURCES... DEPS ...): one static library per folder under src/.
# Headers are included as "module/header.hpp" from src/.
function(vigie_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(VIGIE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(vigie_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(vigie_${name} STATIC ${M_SOURCES})
  target_include_directories(vigie_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(vigie_${name} PUBLIC ${M_DEPS})
  vigie_warnings(vigie_${name})
endfunction()

# vigie_test(NAME [WHOLE] [SERIAL] [PREFIX P] [FILTER F] SOURCES... DEPS ...): one GoogleTest
# executable registered with ctest, test by test (names prefixed with P; only those matching
# the gtest filter F), or as one entry with WHOLE.
function(vigie_test name)
  cmake_parse_arguments(T "WHOLE;SERIAL" "TIMEOUT;PREFIX;FILTER" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    VIGIE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    VIGIE_BINARY_DIR="${PROJECT_BINARY_DIR}"
    VIGIE_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  vigie_warnings(${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # SERIAL: measures rates in real time, or loads every core; runs alone under ctest -j.
  set(serial FALSE)
  if(T_SERIAL)
    set(serial TRUE)
  endif()
  if(T_WHOLE)
    # One ctest entry for the whole executable: its tests share an expensive set-up.
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                                            RUN_SERIAL ${serial})
  else()
    if(NOT T_FILTER)
      set(T_FILTER "*")
    endif()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${T_PREFIX}"
                         TEST_FILTER "${T_FILTER}"
                         PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}" RUN_SERIAL ${serial})
  endif()
endfunction()

# The two commands of README.md: `make demo` and `make test`. Both install missing Debian
# packages first (scripts/install-deps.sh), build in Release, then run.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEMO_DIR ?= var/demo
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all configure build demo test deps test-deps console-deps fuzz clean format tidy package

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

# Configuring again is cheap, and picks up packages installed since (GoogleTest for tests).
configure:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Only the binary: a first run shows alerts without waiting for the test suite to compile.
demo: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vigie
	./$(BUILD_DIR)/vigie demo --dir $(DEMO_DIR)

# playwright-core for the console's browser test, exactly as locked (no browser is downloaded:
# the test drives Debian's chromium).
console-deps:
	@if [ ! -d tests/console/node_modules/playwright-core ]; then \
	  cd tests/console && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; fi

test: test-deps configure console-deps
	cmake --build $(BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The Debian package, build/vigie_<version>_amd64.deb (docs/deploy.md): installed under /usr,
# its library dependencies computed by dpkg-shlibdeps.
package:
	@scripts/install-deps.sh package
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	  $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS) --target vigie man_page
	cd $(BUILD_DIR) && cpack -G DEB

# Each libFuzzer target for FUZZ_SECONDS (CONTRIBUTING.md): a separate clang build carrying
# the fuzzer's instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer.
fuzz:
	@scripts/install-deps.sh fuzz
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DVIGIE_FUZZ=ON -DVIGIE_BUILD_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers
	scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

tidy: configure
	clang-tidy -p $(BUILD_DIR) $$(git ls-files 'src/*.cpp')

clean:
	rm -rf $(BUILD_DIR)

# The two commands of README.md: `make demo` and `make test`. Both install missing Debian
# packages first (scripts/install-deps.sh), build in Release, then run.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEMO_DIR ?= var/demo
CMAKE_FLAGS ?=

.PHONY: all configure build demo test deps test-deps clean format tidy

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

demo: build
	./$(BUILD_DIR)/vigie demo --dir $(DEMO_DIR)

test: test-deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

tidy: configure
	clang-tidy -p $(BUILD_DIR) $$(git ls-files 'src/*.cpp')

clean:
	rm -rf $(BUILD_DIR)

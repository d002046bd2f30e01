# The two commands of README.md: `make demo` and `make test`. Both install missing Debian
# packages first (scripts/install-deps.sh), build in Release, then run.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
DEMO_DIR ?= var/demo
CMAKE_FLAGS ?=

.PHONY: all build demo test deps test-deps clean format tidy

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	./$(BUILD_DIR)/vigie demo --dir $(DEMO_DIR)

test: test-deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

tidy: $(BUILD_DIR)/build.ninja
	clang-tidy -p $(BUILD_DIR) $$(git ls-files 'src/*.cpp')

clean:
	rm -rf $(BUILD_DIR)

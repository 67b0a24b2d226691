# trader: the Makefile wraps CMake; `make test` from a fresh clone does all.
#   make          build (build/trader)
#   make run      the demo: synthetic data, checked, with indicators
#   make test     every test, again under ASan + UBSan, the threaded ones
#                 under TSan
#   make bench    benchmarks, in a Release build
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory

.PHONY: all build run test test-fast test-asan test-tsan bench setup-build setup-test format clean

all: build

setup-build:
	@scripts/setup.sh build
	@scripts/web_setup.sh

setup-test:
	@scripts/setup.sh test
	@scripts/web_setup.sh

build: setup-build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)
	@scripts/web_build.sh

run: build
	@scripts/demo.sh build/trader

# make test installed the oracles, so a missing one fails instead of skipping.
test: export TR_REQUIRE_ORACLES = 1
test: setup-test test-fast test-tsan test-asan

test-fast: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: setup-test
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTR_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# The tests that run several threads (engine, journal writer, projection
# follower), once more under ThreadSanitizer.
test-tsan: setup-test
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DTR_SANITIZE_THREAD=ON >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -R 'projection|store|run_recovery|metrics|auth|keys|http|api|command|loglines'

bench: setup-build
	@cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-release -j $(JOBS)
	@scripts/bench.sh build-release

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-tsan build-release demo

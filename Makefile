# appui — the two commands of the README:
#   make run    set up, build, create the demo data if absent, serve on 127.0.0.1:8080
#   make test   set up, build (normal and sanitizer builds), run the whole test suite
# Set-up installs missing Debian packages and the npm packages of the lockfile.

BUILD  := build
ASAN   := build-asan
DATA   ?= appui-data
LISTEN ?= 127.0.0.1:8080
JOBS   ?= $(shell nproc)

.PHONY: all setup build build-asan run test test-build test-asan bench clean

all: build

setup:
	@scripts/setup-deps.sh
	@scripts/setup-assets.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The sanitizer build uses clang, so that every `make test` compiles the
# code with both gcc and clang.
build-asan: setup
	@cmake -S . -B $(ASAN) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DAPPUI_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)

run: build
	@./$(BUILD)/appui --data $(DATA) demo
	@exec ./$(BUILD)/appui --data $(DATA) serve --listen $(LISTEN)

test: build build-asan
	@echo "== Suite de tests (gcc, RelWithDebInfo)"
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --timeout 600
	@echo "== Suite de tests (clang, AddressSanitizer + UndefinedBehaviorSanitizer)"
	@cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS) --timeout 900

bench: build
	@scripts/setup-deps.sh wrk curl
	@tests/bench/run.sh $(BUILD)
	@echo "== Pages HTML : tableau de bord, page d'une demande (pages.sh)"
	@tests/bench/pages.sh $(BUILD)
	@echo "== Moteur de circuits (bench_engine)"
	@$(BUILD)/tests/bench/bench_engine
	@echo "== Orientation, tableau de bord, statistiques, exports (bench_match)"
	@$(BUILD)/tests/bench/bench_match $${APPUI_BENCH_DIR:-/tmp/appui-bench}/data

clean:
	rm -rf $(BUILD) $(ASAN)

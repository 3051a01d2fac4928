# recur — build, test, sanitizers. `make` builds build/recur and the static
# and shared libraries; `make test` runs the suite, then the same suite under
# AddressSanitizer + UBSan; `make demo` is the main job.

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L
LIBS    := -lopenblas -ljansson -lm -fopenmp
# vmath.c's clamps let GCC thread jumps into three copies of σ's and tanh's
# tails, each with its own division, all run masked by the vectoriser:
# without it the vector loop has one division (the same results; σ and
# tanh 5-9% faster in bench/vmath_speed.c: docs/PERFORMANCE.md).
NO_THREAD_JUMPS := $(shell $(CC) -fno-thread-jumps -E -x c /dev/null \
                     >/dev/null 2>&1 && echo -fno-thread-jumps)
RECUR_DATA ?= $(if $(wildcard ../shared/data),../shared/data,data)
export RECUR_DATA

LIB_SRC := $(wildcard src/*.c)
CLI_SRC := $(wildcard cli/*.c)
TEST_SRC := $(filter-out tests/fuzz_%.c,$(wildcard tests/*.c))

# $(1) = build dir, $(2) = extra flags
define build_rules
$(1)/obj/%.o: %.c $(wildcard include/*.h src/*.h cli/*.h tests/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(WARN) $$(CFLAGS) $$(VECFLAGS) $(2) -fPIC -fvisibility=hidden -c $$< -o $$@
$(1)/obj/src/cell_common.o $(1)/obj/src/lstm.o \
  $(1)/obj/src/gru.o $(1)/obj/src/rnn.o $(1)/obj/src/loss.o: VECFLAGS := -O3
$(1)/obj/src/vmath.o: VECFLAGS := -O3 $(NO_THREAD_JUMPS)
$(1)/obj/src/gemm_packed.o $(1)/obj/src/stack.o: VECFLAGS := -fopenmp
$(1)/librecur.a: $(LIB_SRC:%.c=$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/recur: $(CLI_SRC:%.c=$(1)/obj/%.o) $(1)/librecur.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/run_tests: $(TEST_SRC:%.c=$(1)/obj/%.o) $(1)/librecur.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/example: $(1)/obj/examples/example.o $(1)/librecur.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
endef

ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all test asan demo forward-demo clean deps fixtures bench
all: build/recur build/librecur.a build/librecur.so

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build/asan,$(ASAN)))

build/librecur.so: $(LIB_SRC:%.c=build/obj/%.o)
	$(CC) -shared -o $@ $^ $(LIBS)

deps:
	@sh scripts/deps.sh

# The suite: unit tests, PyTorch parity on the committed fixtures, finite
# differences, hostile files, the CLI and the example program.
test: all build/run_tests build/example
	RECUR_BIN=build/recur RECUR_EXAMPLE=build/example build/run_tests
	$(MAKE) --no-print-directory asan

asan: build/asan/recur build/asan/run_tests build/asan/example
	ASAN_OPTIONS=detect_leaks=1 RECUR_BIN=build/asan/recur \
	  RECUR_EXAMPLE=build/asan/example build/asan/run_tests

# The main job: train a small character-level LSTM on tinyshakespeare for a
# few minutes (live progress line), then generate text from the best
# checkpoint. DEMO_SECONDS shortens or lengthens it.
DEMO_SECONDS ?= 240
DEMO_TEXT := $(RECUR_DATA)/tinyshakespeare/input.txt
demo: all
	@test -f $(DEMO_TEXT) || { echo "demo: $(DEMO_TEXT) not found; set RECUR_DATA, or run scripts/get-data.sh tinyshakespeare" >&2; exit 1; }
	@mkdir -p build/demo
	build/recur train --task charlm --data $(DEMO_TEXT) --cell lstm --hidden 256 \
	  --layers 2 --embed 64 --seq-len 100 --batch 32 --dropout 0.1 --lr 3e-3 \
	  --time-limit $(DEMO_SECONDS) --val-every 200 --epochs 0 \
	  --save build/demo/charlm.safetensors
	build/recur sample --model build/demo/charlm.best.safetensors --length 600 \
	  --temperature 0.8 --prime "ROMEO:"

# `recur forward` on a committed example model (a bidirectional 3-layer
# LSTM with projection from the fixtures), and what it wrote.
FORWARD_DEMO := tests/fixtures/lstm_proj-bi-L3-len-h0
forward-demo: all
	build/recur forward --model $(FORWARD_DEMO)/model.safetensors \
	  --input $(FORWARD_DEMO)/input.safetensors --output build/forward_out.safetensors
	build/recur info build/forward_out.safetensors

# recur against oneDNN and PyTorch on the shapes of issue 4, every mode, 1 and
# 2 threads, in one run (bench/run.py): installs torch and libdnnl-dev when
# missing (bench/setup.sh), prints the tables and writes them to
# build/bench.md. Needs a quiet machine; takes a while. BENCH_ARGS adds
# options, e.g. BENCH_ARGS="--quick --cases deepbench_lstm,stream".
BENCH_ARGS ?=
bench: all
	sh bench/setup.sh
	CC="$(CC)" CFLAGS="$(CFLAGS)" python3 bench/run.py --out build/bench.md $(BENCH_ARGS)

# Outputs and every gradient of a fixed set of networks, for comparing two
# versions byte for byte (tools/bitcheck.c): build/bitcheck OUT, then cmp.
build/bitcheck: tools/bitcheck.c build/librecur.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ $(LIBS)

# The packed kernel alone on one shape (bench/packed_gemm.c), and σ and tanh
# alone on one row in L1 (bench/vmath_speed.c).
build/packed_gemm build/vmath_speed: build/%: bench/%.c bench/clock.h build/librecur.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< build/librecur.a $(LIBS)

# exp, σ and tanh against double on every STEP-th float (tools/vmath_ulp.c):
# build/vmath_ulp [STEP].
build/vmath_ulp: tools/vmath_ulp.c build/librecur.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ $(LIBS)

# Regenerates the reference fixtures (needs python3 with torch, onnxruntime).
fixtures:
	python3 tools/gen_fixtures.py

clean:
	rm -rf build

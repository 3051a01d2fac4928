# recur — build, test, sanitizers. `make` builds build/recur and the static
# and shared libraries; `make test` runs the suite, then the same suite under
# AddressSanitizer + UBSan; `make demo` is the main job.

CC      ?= cc
LD      ?= ld
OBJCOPY ?= objcopy
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes
CPPFLAGS := -Iinclude -Isrc -D_POSIX_C_SOURCE=200809L
LIBS    := -lopenblas -ljansson -lz -lm -fopenmp
# vmath.c's clamps let GCC thread jumps into three copies of σ's and tanh's
# tails, each with its own division, all run masked by the vectoriser:
# without it the vector loop has one division (the same results; σ and
# tanh 5-9% faster in bench/vmath_speed.c: docs/PERFORMANCE.md).
NO_THREAD_JUMPS := $(shell $(CC) -fno-thread-jumps -E -x c /dev/null \
                     >/dev/null 2>&1 && echo -fno-thread-jumps)
RECUR_DATA ?= $(if $(wildcard ../shared/data),../shared/data,data)
export RECUR_DATA

# The version, in one place: include/recur.h.
version_part = $(shell sed -n 's/^\#define RECUR_VERSION_$(1) *\([0-9][0-9]*\).*/\1/p' include/recur.h)
VERSION_MAJOR := $(call version_part,MAJOR)
VERSION := $(VERSION_MAJOR).$(call version_part,MINOR).$(call version_part,PATCH)
SONAME := librecur.so.$(VERSION_MAJOR)

LIB_SRC := $(wildcard src/*/*.c)
CLI_SRC := $(wildcard cli/*.c)
# tests/: the runner and shared helpers at the top, one folder per layer of
# src/ (tests/cells/test_lstm.c, ...), api/ and cli/; the libFuzzer targets
# (tests/*/fuzz_*.c) are built by hand, as each says.
TEST_SRC := $(filter-out $(wildcard tests/*/fuzz_*.c),\
              $(wildcard tests/*.c tests/*/*.c))
TEST_HDR := $(wildcard tests/*.h tests/*/*.h)

# $(1) = build dir, $(2) = extra flags. The cells (and loss.c) build at -O3;
# -fopenmp goes only to the two files with OpenMP regions, gemm_packed.c
# (the products' teams) and src/stack/parallel.c (a layer's directions at
# once): built without it, parallel.c runs the directions in turn, the same
# bits (tests/stack/test_stack.c checks the team size).
define build_rules
$(1)/obj/%.o: %.c $(wildcard include/*.h src/*/*.h cli/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CPPFLAGS) $$(WARN) $$(CFLAGS) $$(VECFLAGS) $(2) -fPIC -fvisibility=hidden -c $$< -o $$@
$(1)/obj/src/cells/cell_common.o $(1)/obj/src/cells/lstm.o \
  $(1)/obj/src/cells/gru.o $(1)/obj/src/cells/rnn.o $(1)/obj/src/model/loss.o: VECFLAGS := -O3
$(1)/obj/src/kernels/vmath.o: VECFLAGS := -O3 $(NO_THREAD_JUMPS)
$(1)/obj/src/kernels/gemm_packed.o $(1)/obj/src/stack/parallel.o: VECFLAGS := -fopenmp
$(1)/librecur_internal.a: $(LIB_SRC:%.c=$(1)/obj/%.o)
	@rm -f $$@
	ar rcs $$@ $$^
$(1)/librecur.a: $(LIB_SRC:%.c=$(1)/obj/%.o)
	@rm -f $$@ $(1)/obj/librecur.o
	$$(LD) -r -o $(1)/obj/librecur.o $$^
	$$(OBJCOPY) --localize-hidden $(1)/obj/librecur.o
	ar rcs $$@ $(1)/obj/librecur.o
$(1)/recur: $(CLI_SRC:%.c=$(1)/obj/%.o) $(1)/librecur_internal.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(TEST_SRC:%.c=$(1)/obj/%.o): $(TEST_HDR)
# "test.h" from any folder of tests/; -iquote, as tests/spawn.h must not
# hide <spawn.h>.
$(TEST_SRC:%.c=$(1)/obj/%.o): CPPFLAGS += -iquote tests
$(1)/run_tests: $(TEST_SRC:%.c=$(1)/obj/%.o) $(1)/librecur_internal.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/example: $(1)/obj/examples/example.o $(1)/librecur.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
$(1)/embed: $(1)/obj/examples/embed.o $(1)/librecur.a
	$$(CC) $(2) -o $$@ $$^ $$(LIBS)
endef

ASAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: all test asan demo forward-demo clean fixtures bench install uninstall \
        layers
all: build/recur build/librecur.a build/librecur.so build/recur.1

$(eval $(call build_rules,build,))
$(eval $(call build_rules,build/asan,$(ASAN)))

# The shared library: librecur.so.X.Y.Z with soname librecur.so.X, and the
# links librecur.so.X and librecur.so beside it. Only what recur.h declares
# (RECUR_API) is exported: everything is compiled -fvisibility=hidden, and
# the static librecur.a is one relocatable object whose hidden symbols are
# made local (ld -r, objcopy --localize-hidden). The CLI and the tests use
# internals, and link librecur_internal.a.
build/librecur.so.$(VERSION): $(LIB_SRC:%.c=build/obj/%.o)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LIBS)
build/$(SONAME): build/librecur.so.$(VERSION)
	ln -sf $(notdir $<) $@
build/librecur.so: build/$(SONAME)
	ln -sf $(notdir $<) $@

# The manual page, from the program's own --help texts.
build/recur.1: build/recur tools/man.sh
	sh tools/man.sh build/recur >$@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=]; make uninstall, the same.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
INSTALLED  := $(BINDIR)/recur $(LIBDIR)/librecur.a $(LIBDIR)/librecur.so.$(VERSION) \
              $(LIBDIR)/$(SONAME) $(LIBDIR)/librecur.so $(INCLUDEDIR)/recur.h \
              $(LIBDIR)/pkgconfig/recur.pc $(MANDIR)/man1/recur.1
# pkg-config's file is written for the PREFIX of this install.
install: all build/recur.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 build/recur $(DESTDIR)$(BINDIR)/recur
	install -m 644 build/librecur.a $(DESTDIR)$(LIBDIR)/librecur.a
	install -m 755 build/librecur.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf librecur.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/librecur.so
	install -m 644 include/recur.h $(DESTDIR)$(INCLUDEDIR)/recur.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	  -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	  recur.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/recur.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/recur.pc
	install -m 644 build/recur.1 $(DESTDIR)$(MANDIR)/man1/recur.1
uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The suite: unit tests, PyTorch parity on the committed fixtures, finite
# differences, hostile files, the CLI and the example programs (embed run
# on checkpoints the suite trains, against recur predict and recur sample).
# First the layers' include rule (tools/layers.sh: no include goes up a
# layer). Then the exported symbols (tests/symbols.sh), make install with the
# example built by pkg-config alone (tests/install.sh), and
# scripts/get-data.sh against the data mirror, offline (skipped without it).
test: all build/run_tests build/example build/embed layers
	RECUR_BIN=build/recur RECUR_EXAMPLE=build/example RECUR_EMBED=build/embed \
	  build/run_tests
	sh tests/symbols.sh build/librecur.so build/librecur.a
	sh tests/install.sh
	sh tests/get_data_test.sh
	$(MAKE) --no-print-directory asan

asan: build/asan/recur build/asan/run_tests build/asan/example build/asan/embed
	ASAN_OPTIONS=detect_leaks=1 RECUR_BIN=build/asan/recur \
	  RECUR_EXAMPLE=build/asan/example RECUR_EMBED=build/asan/embed \
	  build/asan/run_tests

# The main job: train a small character-level LSTM on tinyshakespeare for a
# few minutes (live progress line), then generate text from the best
# checkpoint. DEMO_SECONDS (environment or make variable) sets its length.
# The corpus is $(RECUR_DATA)/tinyshakespeare/input.txt when that exists,
# else the copy the repository carries (data/tinyshakespeare), unpacked on
# first use and checked against its SHA-256.
DEMO_SECONDS ?= 240
EMBEDDED_TEXT := build/data/tinyshakespeare/input.txt
DEMO_TEXT := $(or $(wildcard $(RECUR_DATA)/tinyshakespeare/input.txt),$(EMBEDDED_TEXT))
$(EMBEDDED_TEXT): data/tinyshakespeare/input.txt.gz data/tinyshakespeare/SHA256SUMS
	@mkdir -p $(dir $@)
	gzip -dc $< >$@.part
	@echo "$$(cut -d' ' -f1 data/tinyshakespeare/SHA256SUMS)  $@.part" | sha256sum -c --quiet - || \
	  { echo "demo: $< does not unpack to the text of data/tinyshakespeare/SHA256SUMS" >&2; rm -f $@.part; exit 1; }
	mv $@.part $@
demo: all $(DEMO_TEXT)
	@mkdir -p build/demo
	@echo "demo: training on $(DEMO_TEXT) for $(DEMO_SECONDS) s"
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

# recur against oneDNN and PyTorch on the shapes of bench/run.py, every mode, 1 and
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
build/bitcheck: tools/bitcheck.c build/librecur_internal.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ $(LIBS)

# The packed kernel alone on one shape (bench/packed_gemm.c), and σ and tanh
# alone on one row in L1 (bench/vmath_speed.c).
build/packed_gemm build/vmath_speed: build/%: bench/%.c build/librecur_internal.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< build/librecur_internal.a $(LIBS)

# exp, σ and tanh against double on every STEP-th float (tools/vmath_ulp.c):
# build/vmath_ulp [STEP].
build/vmath_ulp: tools/vmath_ulp.c build/librecur_internal.a
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $^ $(LIBS)

# Every include of src/ goes down the layers (docs/DESIGN.md).
layers:
	@sh tools/layers.sh

# Regenerates the reference fixtures (needs python3 with torch, onnxruntime).
fixtures:
	python3 tools/gen_fixtures.py

clean:
	rm -rf build

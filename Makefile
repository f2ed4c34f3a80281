# corral: see README.md. `make demo` and `make check` set up everything they need.
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
ACTOR_CC  ?= $(CC)
PKG_CONFIG ?= pkg-config

# Debian packages behind the pkg-config modules below (`make deps` installs what is missing),
# and the programs the tests run (strace: tests/test_crash.c kills corral at each of its calls;
# man and nroff: tests/completion.sh renders the man page; tmux and script: tests/test_tty.c
# drives real terminals).
DEB_PKGS   := pkg-config libmnl-dev libseccomp-dev libinih-dev check strace man-db groff-base \
	      tmux bsdutils
DEB_TOOLS  := strace man nroff tmux script
PC_LIB     := libmnl libseccomp inih
PC_TEST    := check
# The Python client (spawner/client/python) and its tests run with Debian's python3 (the
# python3 first on a developer's PATH may be a pyenv shim a nobody actor cannot read). Its
# modules are checked by importing them, not with pkg-config: trio and pytest for
# tests/python/, ensurepip (venv), setuptools and wheel for the offline pip install that
# tests/install_check.sh makes from the checkout.
PYTHON      ?= /usr/bin/python3
DEB_PY_PKGS := python3-trio python3-pytest python3-venv python3-setuptools python3-wheel
PY_MODULES  := trio pytest ensurepip setuptools wheel

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS    ?= -O2 -g
# EXTRA_CFLAGS / EXTRA_LDFLAGS: the sanitizer build adds its flags here.
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -MMD -MP $(WARN) $(CFLAGS) \
	     $(EXTRA_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PC_LIB))
# libseccomp and libinih are linked in from their archives where the system has them (Debian's
# libseccomp-dev and libinih-dev ship libseccomp.a and libinih.a; libmnl-dev has no libmnl.a):
# two shared libraries fewer for the dynamic linker to load at each start of corral, and fewer
# mappings for each fork and clone3 to copy. `corral run -- /bin/true`, 2 x 300 interleaved runs:
# median CPU time of the whole tree 4421/4345 -> 4299/4251 us; `corral --help`, 500 runs: wall
# 800 -> 750 us.
LIB_STATIC := libseccomp inih
LIB_STATIC_OK := $(shell for l in seccomp inih; do \
	[ "$$($(CC) -print-file-name=lib$$l.a)" != lib$$l.a ] || exit 0; done; echo yes)
LIB_LIBS_MIXED = $(shell $(PKG_CONFIG) --libs $(filter-out $(LIB_STATIC),$(PC_LIB))) \
	     -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs --static $(LIB_STATIC)) -Wl,-Bdynamic
LIB_LIBS   = $(if $(LIB_STATIC_OK),$(LIB_LIBS_MIXED),$(shell $(PKG_CONFIG) --libs $(PC_LIB)))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PC_TEST))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(PC_TEST))

LIB_SRCS  := $(wildcard ns/*.c policy/*.c spawner/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
# The benchmark (tools/bench/bench.h lists its files); bench_true.c is the program it spawns,
# oneshot_floor.c the static launcher of its one-shot floor.
BENCH_SRCS := $(filter-out tools/bench/bench_true.c tools/bench/oneshot_floor.c,\
		$(wildcard tools/bench/*.c))
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o)
TEST_SUPPORT := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
ACTOR_SRCS := $(wildcard tests/actors/*.c)
# The actor's side of the control channel (spawner/corral.h): its own library, which encodes
# without libmnl so that static programs (the test actor) can link it.
CLIENT_SRCS := $(wildcard spawner/client/*.c)
CLIENT_OBJS := $(CLIENT_SRCS:%.c=$(BUILD)/%.o)
CLIENT_SO   := $(BUILD)/libcorral.so

STATIC_LIB := $(BUILD)/libcorral.a
CORRAL     := $(BUILD)/corral
ACTOR      := $(BUILD)/corral-test-actor
BENCH      := $(BUILD)/corral-bench
BENCH_TRUE := $(BUILD)/bench-true
BENCH_FLOOR := $(BUILD)/bench-oneshot-floor

.SECONDARY:

.PHONY: all deps demo check test-bins _check vm-fetch check-vm bench bench-quick format \
	format-check install clean fuzz fuzz-bins deps-clang check-sanitize check-valgrind \
	deps-valgrind lint deps-lint

all: $(STATIC_LIB) $(CORRAL) $(ACTOR) $(CLIENT_SO)

# Install the build dependencies only when pkg-config cannot find them (CI starts clean).
deps:
	@if ! command -v $(PKG_CONFIG) >/dev/null 2>&1 || \
	    ! $(PKG_CONFIG) --exists $(PC_LIB) $(PC_TEST) || \
	    ! (for t in $(DEB_TOOLS); do command -v $$t >/dev/null 2>&1 || exit 1; done); then \
		echo "make deps: installing $(DEB_PKGS)"; \
		if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root (apt-get)" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(DEB_PKGS) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(DEB_PKGS); }; \
	fi
	@if ! (for m in $(PY_MODULES); do $(PYTHON) -c "import $$m" >/dev/null 2>&1 || exit 1; done); then \
		echo "make deps: installing $(DEB_PY_PKGS) (Python modules for $(PYTHON))"; \
		if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root (apt-get)" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(DEB_PY_PKGS) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(DEB_PY_PKGS); }; \
	fi

demo: deps
	@$(MAKE) --no-print-directory all
	./tools/demo.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all test-bins
	@$(MAKE) --no-print-directory _check

_check:
	BUILD=$(BUILD) ./tests/run.sh

# The pure cgroup v2 tier (tests/vm/README.md): Debian's stock kernel, downloaded once into
# $(VMDIR) and never installed, boots under QEMU with the host's root shared read-only, and the
# privileged suites run there with memory/pids/cpu on v2. VM_* variables tune it (tests/vm/run.sh).
VMDIR ?= $(BUILD)/vm

vm-fetch:
	./tests/vm/fetch.sh $(VMDIR)

check-vm: deps
	@$(MAKE) --no-print-directory all test-bins
	@$(MAKE) --no-print-directory vm-fetch
	./tests/vm/run.sh $(BUILD) $(VMDIR)

test-bins: $(TEST_BINS)

# The benchmark (HACKING.md "Benchmarks"): one table on stdout, JSON (and a PNG when gnuplot is
# installed) in $(BUILD). bench-quick is the same program with small counts, for CI.
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH) $(BENCH_TRUE) $(BENCH_FLOOR)
	$(BENCH) --build $(BUILD) $(BENCH_ARGS)

bench-quick: deps
	@$(MAKE) --no-print-directory all $(BENCH) $(BENCH_TRUE) $(BENCH_FLOOR)
	$(BENCH) --quick --build $(BUILD) $(BENCH_ARGS)

$(BENCH): $(BENCH_OBJS) $(BUILD)/tools/events_fmt.o $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $^ $(LIB_LIBS) -lm

# The program every benchmark spawns: static, no C library, exits 0 at once.
$(BENCH_TRUE): tools/bench/bench_true.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -nostdlib -o $@ $<

# The one-shot floor's launcher: static glibc, with the shim's own mount and credential code
# compiled in (the same calls, no library to load), without the sanitizer's flags.
BENCH_FLOOR_SRCS := tools/bench/oneshot_floor.c ns/mounts.c ns/creds.c ns/kfile.c ns/safepath.c \
		    ns/err.c
$(BENCH_FLOOR): $(BENCH_FLOOR_SRCS) ns/mounts.h ns/creds.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE $(WARN) -O2 -static -o $@ $(BENCH_FLOOR_SRCS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The default profile's seccomp filter, compiled at build time (policy/seccomp_builtin.c says
# why): tools/gen/seccomp_filter.c runs seccomp_compile() linked with a seccomp_builtin.o
# that has no builtin, and writes the program that the library's seccomp_builtin.o includes.
# Set SECCOMP_BUILTIN= (empty) when the build host cannot run what it builds.
SECCOMP_BUILTIN ?= yes
GEN_FILTER := $(BUILD)/gen/seccomp-filter
GEN_FILTER_OBJS := $(filter-out $(BUILD)/policy/seccomp_builtin.o,$(LIB_OBJS)) \
		   $(BUILD)/gen/seccomp_builtin_none.o $(BUILD)/tools/gen/seccomp_filter.o
$(BUILD)/gen/seccomp_builtin_none.o: policy/seccomp_builtin.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(GEN_FILTER): $(GEN_FILTER_OBJS)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $^ $(LIB_LIBS)
$(BUILD)/gen/seccomp_builtin.inc: $(GEN_FILTER)
	$< > $@.tmp && mv $@.tmp $@
$(BUILD)/policy/seccomp_builtin.o: policy/seccomp_builtin.c \
				   $(if $(SECCOMP_BUILTIN),$(BUILD)/gen/seccomp_builtin.inc)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(if $(SECCOMP_BUILTIN),-DCORRAL_SECCOMP_BUILTIN='"$(abspath $(BUILD))/gen/seccomp_builtin.inc"') -c -o $@ $<

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CLIENT_SO): $(CLIENT_OBJS)
	$(CC) $(EXTRA_LDFLAGS) -shared -Wl,-soname,libcorral.so.1 -o $@ $^

$(CORRAL): $(TOOL_OBJS) $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $(TOOL_OBJS) $(STATIC_LIB) $(LIB_LIBS)

# The test actors are one static program: it runs inside fresh mount namespaces and must not
# depend on the host's library paths.
$(ACTOR): $(ACTOR_SRCS) $(CLIENT_SRCS) spawner/corral.h
	@mkdir -p $(dir $@)
	$(ACTOR_CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(WARN) -static -o $@ $(ACTOR_SRCS) $(CLIENT_SRCS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJS) $(CLIENT_OBJS) $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) $(CLIENT_OBJS) $(STATIC_LIB) $(LIB_LIBS) \
	    $(TEST_LIBS)

# ---- hardening (HACKING.md "Hardening"): fuzzing, sanitizers, valgrind, static analysis ----

# libFuzzer targets, tests/fuzz/fuzz_<target>.c. `make check` replays their seeds and kept
# crashers (tests/fuzz/regressions/<target>/) with the normal compiler: each entry point is
# renamed and linked into tests/test_fuzz_replay.
FUZZ_TARGETS := policy units seccomp signals run_args ctl admin
FUZZ_SECONDS ?= 30
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_REPLAY_OBJS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%.replay.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
SAN_FLAGS    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# gcc-only warning options in WARN are unknown to clang
CLANG_NOWARN := -Wno-unknown-warning-option

$(BUILD)/tests/fuzz/fuzz_%.replay.o: tests/fuzz/fuzz_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_$*_one -c -o $@ $<

$(BUILD)/tests/test_fuzz_replay: $(BUILD)/tests/test_fuzz_replay.o $(FUZZ_REPLAY_OBJS) \
				 $(BUILD)/tools/cmd_run.o $(BUILD)/tools/cli.o $(BUILD)/tools/events_fmt.o \
				 $(BUILD)/tools/run_tty.o $(BUILD)/tools/run_args.o $(TEST_SUPPORT_OBJS) \
				 $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $^ $(LIB_LIBS) $(TEST_LIBS)

# clang with the sanitizer and libFuzzer runtimes (Debian: clang, libclang-rt-14-dev), installed
# when missing.
deps-clang:
	@if ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	    $(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then \
		echo "make deps-clang: installing clang libclang-rt-14-dev"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends clang libclang-rt-14-dev || \
		{ apt-get update && apt-get install -y --no-install-recommends clang libclang-rt-14-dev; }; \
	fi

# Each target runs FUZZ_SECONDS; a crash, leak, timeout or broken invariant fails the run and
# leaves its input in tests/fuzz/regressions/<target>/ (commit it with the fix).
fuzz: deps deps-clang
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		EXTRA_CFLAGS="$(SAN_FLAGS) -fsanitize=fuzzer-no-link $(CLANG_NOWARN)" EXTRA_LDFLAGS="$(SAN_FLAGS)" fuzz-bins
	./tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_BINS)

# The whole suite, privileged scenarios included, with ASan + UBSan in their own build
# directory (the static test actor stays unsanitized, built with the normal compiler).
# tests/sanitize.sh fails on any report. clang by default: gcc 12's libubsan ignores log_path
# next to libasan, and a UBSan report from the zygote or a shim (stderr: /dev/null) would be
# lost; SAN_CC=gcc works otherwise.
SAN_BUILD ?= build-san
SAN_CC    ?= clang
check-sanitize: deps $(if $(filter clang%,$(SAN_CC)),deps-clang)
	@$(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(SAN_CC) ACTOR_CC=$(CC) \
		EXTRA_CFLAGS="$(SAN_FLAGS) $(if $(filter clang%,$(SAN_CC)),$(CLANG_NOWARN))" \
		EXTRA_LDFLAGS="$(SAN_FLAGS)" all test-bins
	./tests/sanitize.sh $(SAN_BUILD)

# The unit suites and short corral scenarios under valgrind (memcheck); tests/valgrind.sh says
# what valgrind cannot run here (no clone3, no pidfd_open: `corral run` stops at its start).
deps-valgrind:
	@if ! command -v valgrind >/dev/null 2>&1; then \
		echo "make deps-valgrind: installing valgrind"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends valgrind || \
		{ apt-get update && apt-get install -y --no-install-recommends valgrind; }; \
	fi

check-valgrind: deps deps-valgrind
	@$(MAKE) --no-print-directory all test-bins
	./tests/valgrind.sh $(BUILD)

# Static analysis: clang-tidy (.clang-tidy says which checks and why) and cppcheck, no finding
# allowed. Both come with Debian's clang-tidy and cppcheck packages.
LINT_SRCS = $(wildcard ns/*.c policy/*.c spawner/*.c spawner/client/*.c tools/*.c tools/bench/*.c tests/*.c tests/actors/*.c \
		tests/fuzz/*.c tools/gen/*.c)
deps-lint:
	@if ! command -v clang-tidy >/dev/null 2>&1 || ! command -v cppcheck >/dev/null 2>&1; then \
		echo "make deps-lint: installing clang-tidy cppcheck"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends clang-tidy cppcheck || \
		{ apt-get update && apt-get install -y --no-install-recommends clang-tidy cppcheck; }; \
	fi

# ... and no call circle between files (tests/cycles.sh, from the objects' symbols).
lint: deps deps-lint
	@$(MAKE) --no-print-directory all $(BENCH_OBJS)
	./tests/cycles.sh $(BUILD)
	./tests/lint.sh "-std=gnu11 -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags $(PC_LIB) $(PC_TEST))" \
		$(LINT_SRCS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tools/cmd_run.o \
		      $(BUILD)/tools/cli.o $(BUILD)/tools/events_fmt.o $(BUILD)/tools/run_tty.o \
		      $(BUILD)/tools/run_args.o $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(EXTRA_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIB_LIBS)

FORMAT_SRCS = $(wildcard ns/*.[ch] policy/*.[ch] spawner/*.[ch] spawner/client/*.[ch] tools/*.[ch] \
		tools/bench/*.[ch] tools/gen/*.[ch] tests/*.[ch] \
		tests/actors/*.[ch] \
		tests/fuzz/*.[ch])

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

# The corral command, and the actor's client API: spawner/corral.h, libcorral.so (exporting
# exactly what corral.h declares) and corral.pc. build/libcorral.a is the project's internal
# archive (every module's symbols, not an API) and is not installed; tests/install_check.sh
# holds that line.
# The Python client (the package corral) goes where $(PYTHON) finds a local install
# (Debian: $(PREFIX)/lib/python3.X/dist-packages), byte-compiled; PYTHON_SITE= chooses another
# place. Without $(PYTHON) it is skipped, and said.
PYTHON_SITE ?= $(PREFIX)/lib/python$(shell $(PYTHON) -c \
	'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)/dist-packages
PY_SRCS     := $(wildcard spawner/client/python/corral/*.py)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(CORRAL) $(DESTDIR)$(PREFIX)/bin/corral
	install -m 0644 tools/corral.1 $(DESTDIR)$(PREFIX)/share/man/man1/corral.1
	install -m 0644 tools/corral.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/corral
	install -m 0644 spawner/corral.h $(DESTDIR)$(PREFIX)/include/corral.h
	install -m 0755 $(CLIENT_SO) $(DESTDIR)$(PREFIX)/lib/libcorral.so.1
	ln -sf libcorral.so.1 $(DESTDIR)$(PREFIX)/lib/libcorral.so
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	    'Name: corral' 'Description: an actor'"'"'s side of the corral control channel' \
	    'Version: 0.1' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lcorral' \
	    >$(DESTDIR)$(PREFIX)/lib/pkgconfig/corral.pc
	@if [ -x $(PYTHON) ]; then \
		echo "install the Python client into $(DESTDIR)$(PYTHON_SITE)/corral"; \
		install -d $(DESTDIR)$(PYTHON_SITE)/corral && \
		install -m 0644 $(PY_SRCS) $(DESTDIR)$(PYTHON_SITE)/corral/ && \
		$(PYTHON) -m compileall -q -d $(PYTHON_SITE)/corral $(DESTDIR)$(PYTHON_SITE)/corral; \
	else \
		echo "make install: no $(PYTHON): the Python client was not installed" >&2; \
	fi

clean:
	rm -rf $(BUILD) build-*

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(BENCH_OBJS:.o=.d) $(TEST_SUPPORT_OBJS:.o=.d) \
	 $(TEST_BINS:=.d) $(FUZZ_REPLAY_OBJS:.o=.d) $(BUILD)/gen/seccomp_builtin_none.d \
	 $(BUILD)/tools/gen/seccomp_filter.d

# corral: see README.md. `make demo` and `make check` set up everything they need.
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

# Debian packages behind the pkg-config modules below (`make deps` installs what is missing).
DEB_PKGS   := pkg-config libmnl-dev libseccomp-dev libinih-dev check
PC_LIB     := libmnl libseccomp inih
PC_TEST    := check

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation
CFLAGS    ?= -O2 -g
# EXTRA_CFLAGS / EXTRA_LDFLAGS: the sanitizer build adds its flags here.
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden -MMD -MP $(WARN) $(CFLAGS) \
	     $(EXTRA_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PC_LIB))
LIB_LIBS   = $(shell $(PKG_CONFIG) --libs $(PC_LIB))
TEST_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PC_TEST))
TEST_LIBS   = $(shell $(PKG_CONFIG) --libs $(PC_TEST))

LIB_SRCS  := $(wildcard ns/*.c policy/*.c spawner/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TOOL_SRCS := $(filter-out tools/bench.c tools/bench_true.c,$(wildcard tools/*.c))
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/%.o)
TEST_SUPPORT := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
TEST_SUPPORT_OBJS := $(TEST_SUPPORT:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
ACTOR_SRCS := $(wildcard tests/actors/*.c)

STATIC_LIB := $(BUILD)/libcorral.a
SHARED_LIB := $(BUILD)/libcorral.so
CORRAL     := $(BUILD)/corral
ACTOR      := $(BUILD)/corral-test-actor
BENCH      := $(BUILD)/corral-bench
BENCH_TRUE := $(BUILD)/bench-true

.SECONDARY:

.PHONY: all deps demo check test-bins _check bench bench-quick format format-check install clean

all: $(STATIC_LIB) $(SHARED_LIB) $(CORRAL) $(ACTOR)

# Install the build dependencies only when pkg-config cannot find them (CI starts clean).
deps:
	@if ! command -v $(PKG_CONFIG) >/dev/null 2>&1 || \
	    ! $(PKG_CONFIG) --exists $(PC_LIB) $(PC_TEST); then \
		echo "make deps: installing $(DEB_PKGS)"; \
		if [ "$$(id -u)" -ne 0 ]; then echo "make deps: run as root (apt-get)" >&2; exit 1; fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(DEB_PKGS) || \
		{ apt-get update && apt-get install -y --no-install-recommends $(DEB_PKGS); }; \
	fi

demo: deps
	@$(MAKE) --no-print-directory all
	./tools/demo.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory all test-bins
	@$(MAKE) --no-print-directory _check

_check:
	BUILD=$(BUILD) ./tests/run.sh

test-bins: $(TEST_BINS)

# The benchmark (README, "Benchmarks"): one table on stdout, JSON (and a PNG when gnuplot is
# installed) in $(BUILD). bench-quick is the same program with small counts, for CI.
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH) $(BENCH_TRUE)
	$(BENCH) --build $(BUILD)

bench-quick: deps
	@$(MAKE) --no-print-directory all $(BENCH) $(BENCH_TRUE)
	$(BENCH) --quick --build $(BUILD)

$(BENCH): $(BUILD)/tools/bench.o $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $< $(STATIC_LIB) $(LIB_LIBS) -lm

# The program every benchmark spawns: static, no C library, exits 0 at once.
$(BENCH_TRUE): tools/bench_true.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -static -nostdlib -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libcorral.so.0 $(EXTRA_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(CORRAL): $(TOOL_OBJS) $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $(TOOL_OBJS) $(STATIC_LIB) $(LIB_LIBS)

# The test actors are one static program: it runs inside fresh mount namespaces and must not
# depend on the host's library paths.
$(ACTOR): $(ACTOR_SRCS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(WARN) -static -o $@ $(ACTOR_SRCS)

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(TEST_SUPPORT_OBJS) $(STATIC_LIB)
	$(CC) $(EXTRA_LDFLAGS) -o $@ $< $(TEST_SUPPORT_OBJS) $(STATIC_LIB) $(LIB_LIBS) $(TEST_LIBS)

FORMAT_SRCS = $(wildcard ns/*.[ch] policy/*.[ch] spawner/*.[ch] tools/*.[ch] tests/*.[ch] tests/actors/*.[ch])

format:
	clang-format -i $(FORMAT_SRCS)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/corral
	install -m 0755 $(CORRAL) $(DESTDIR)$(PREFIX)/bin/corral
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/libcorral.a
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libcorral.so.0
	ln -sf libcorral.so.0 $(DESTDIR)$(PREFIX)/lib/libcorral.so
	if [ -f spawner/corral.h ]; then install -m 0644 spawner/corral.h $(DESTDIR)$(PREFIX)/include/corral/corral.h; fi
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' -e 's|@REQUIRES@|$(PC_LIB)|g' \
		corral.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/corral.pc

clean:
	rm -rf $(BUILD) build-*

-include $(LIB_OBJS:.o=.d) $(TOOL_OBJS:.o=.d) $(BUILD)/tools/bench.d $(TEST_SUPPORT_OBJS:.o=.d) $(TEST_BINS:=.d)

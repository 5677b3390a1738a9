# ddblake: DynamoDB change data to an S3 data lake, as small Unix filters.
# `make help` lists the targets.

# This file, before the dependency files included at the end join the list.
MAKEFILE := $(lastword $(MAKEFILE_LIST))

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
CFLAGS  ?= -std=c11 -O2 -g
WARN    = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wformat=2 -Wcast-qual -Wwrite-strings \
	  -Wvla -Wnull-dereference -Wimplicit-fallthrough
CPPFLAGS += -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib
LDLIBS  += -ljq -lcurl -lcrypto -lz -lpthread -lm
# Build directory: `make B=build-asan ...` keeps sanitizer objects apart.
B       ?= build
# WERROR=1 (CI) turns warnings into errors.
ifeq ($(WERROR),1)
WARN += -Werror
endif

LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TOOLS    := $(CMD_SRC:cmd/%.c=%)
BINS     := $(TOOLS:%=$(B)/%)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
HELP_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPERS  := $(HELP_SRC:tests/helpers/%.c=$(B)/helpers/%)
MANS     := $(sort $(wildcard man/*.[1-9]))
# Shell for `make lint`: POSIX sh scripts, bash helpers, bats files.
SH_SCRIPTS := $(sort $(wildcard scripts/*.sh)) tests/run.sh tests/lib/run1.sh .ci/run
SH_BASH    := $(sort $(wildcard tests/lib/*.bash))
SH_BATS    := $(sort $(wildcard tests/*.bats tests/slow/*.bats))
# In bats files these are not faults: each @test runs in a subshell of its
# own (SC2030/SC2031), `run` sets $stderr and $stderr_lines (SC2154), a
# failing cd fails the test under bats' errexit (SC2164), and single-quoted
# programs for bash -c, jq and awk are meant to stay unexpanded (SC2016).
SH_BATS_EXCLUDE := SC2030,SC2031,SC2154,SC2164,SC2016
ARCHIVE  := $(B)/libddblake.a

SAN_ASAN  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_UBSAN = -fsanitize=undefined -fno-sanitize-recover=all
FUZZ_TIME ?= 60

.PHONY: all check check-slow install uninstall bench lint asan ubsan fuzz \
	demo clean help setup unit tests lambda-zip

all: $(BINS) ## build the tools into $(B)/

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(ARCHIVE): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/%: cmd/%.c $(ARCHIVE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -o $@ $< $(ARCHIVE) $(LDFLAGS) $(LDLIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/t.h $(ARCHIVE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Itests/unit -MMD -MP -o $@ $< $(ARCHIVE) $(LDFLAGS) $(LDLIBS)

$(B)/helpers/%: tests/helpers/%.c $(ARCHIVE)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -o $@ $< $(ARCHIVE) $(LDFLAGS) $(LDLIBS)

setup: ## install build and test dependencies (Debian 12, as root)
	scripts/setup.sh

tests: $(BINS) $(UNITS) $(HELPERS)

check: setup tests ## what CI runs: unit tests and bats suites
	DDBLAKE_BIN=$(CURDIR)/$(B) tests/run.sh

check-slow: setup tests ## long fault-injection and soak runs (CI runs these too)
	DDBLAKE_BIN=$(CURDIR)/$(B) DDBLAKE_SLOW=1 tests/run.sh tests/slow/*.bats

unit: $(UNITS) ## only the C unit tests
	DDBLAKE_BIN=$(CURDIR)/$(B) tests/run.sh $(UNITS)

lambda-zip: $(B)/ddblambda ## ddblambda.zip for AWS Lambda (provided.al2023) in the build dir
	scripts/lambda-zip.sh $(B)/ddblambda $(B)/ddblambda.zip

install: $(BINS) ## install tools and man pages under $(DESTDIR)$(PREFIX)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MANS); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall: ## remove what install put there
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANS); do \
		s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

bench: setup all $(HELPERS) ## throughput against baselines measured in the same run
	DDBLAKE_BIN=$(CURDIR)/$(B) scripts/bench.sh

lint: ## man pages (groff -ww, mandoc -Tlint), cppcheck, shellcheck on every script
	@for m in $(MANS); do \
		groff -mdoc -ww -z $$m || exit 1; \
		mandoc -Tlint -Wwarning $$m || exit 1; done
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--std=c11 -Ilib --suppress=missingIncludeSystem lib cmd
	shellcheck $(SH_SCRIPTS)
	shellcheck -s bash $(SH_BASH)
	shellcheck -s bash -e $(SH_BATS_EXCLUDE) $(SH_BATS)

asan: ## build with ASan+UBSan into build-asan and run the whole suite
	$(MAKE) B=build-asan CFLAGS="-std=c11 -O1 -g $(SAN_ASAN)" \
		LDFLAGS="$(SAN_ASAN)" check

ubsan: ## build with UBSan into build-ubsan and run the whole suite
	$(MAKE) B=build-ubsan CFLAGS="-std=c11 -O1 -g $(SAN_UBSAN)" \
		LDFLAGS="$(SAN_UBSAN)" check

fuzz: ## libFuzzer on the ddbflat parser for FUZZ_TIME seconds
	$(MAKE) B=build-fuzz CC=clang \
		CFLAGS="-std=c11 -O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
		build-fuzz/libddblake.a
	clang -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined $(CPPFLAGS) \
		-o build-fuzz/fuzz_ddbflat tests/fuzz/fuzz_ddbflat.c \
		build-fuzz/libddblake.a $(LDLIBS)
	mkdir -p build-fuzz/corpus
	cp tests/data/ddbflat/*.json tests/fuzz/seeds/* build-fuzz/corpus/ 2>/dev/null || true
	build-fuzz/fuzz_ddbflat -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-rss_limit_mb=1024 -timeout=10 build-fuzz/corpus

demo: setup all ## the main job end to end on a local default
	DDBLAKE_BIN=$(CURDIR)/$(B) scripts/demo.sh

clean: ## remove build directories
	rm -rf build build-asan build-ubsan build-fuzz

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE) | \
		sed 's/:.*## /\t/' | awk -F'\t' '{printf "  %-12s %s\n", $$1, $$2}'

-include $(LIB_OBJ:.o=.d) $(BINS:=.d) $(UNITS:=.d) $(HELPERS:=.d)

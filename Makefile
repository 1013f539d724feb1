# hlx -- one non-recursive Makefile.
#
#   make                  bin/hlx and bin/hlxd
#   make check            install what is missing, build, run every test
#   make demo             install what is missing, build, show the main job
#   make fuzz             run every libFuzzer target longer (FUZZ_TIME s each)
#   make SANITIZE=address,undefined O=build/asan BIN=build/asan/bin
#                         a sanitized build in its own tree
#   make banned           fail on the banned libc calls (part of all)
#   make install          PREFIX=/usr/local DESTDIR=
#
# Every library comes through pkg-config.  The sanitized build and the fuzz
# build re-run this same Makefile with other variables; nothing recurses into
# subdirectories.

O	?= build
BIN	?= bin
PREFIX	?= /usr/local
SANITIZE ?=
CC	?= cc
FUZZ_TIME ?= 300

PKGS	= libxml-2.0 jansson openssl sqlite3 libevent libevent_openssl \
	  libevent_pthreads libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# http-parser ships no pkg-config file (Debian's libhttp-parser-dev).
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN	= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
	  -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	  -Wformat=2 -Wformat-security -Wvla -Wimplicit-fallthrough
CFLAGS	?= -O2 -g
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(CFLAGS) $(WARN) \
	  -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
	  -Iinclude -I$(O)/gen $(PKG_CFLAGS) -MMD -MP
LDFLAGS	?=
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS)

ifneq ($(SANITIZE),)
ALL_CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	       -fno-sanitize-recover=all
ALL_LDFLAGS += -fsanitize=$(SANITIZE)
# _FORTIFY_SOURCE needs optimisation and fights ASan's interceptors.
ALL_CFLAGS  := $(filter-out -D_FORTIFY_SOURCE=2,$(ALL_CFLAGS)) -U_FORTIFY_SOURCE
endif

# The programs' own files (roles); everything else in src/ is library code
# shared by both programs, the unit tests and the fuzz targets.
HLX_SRC	= $(wildcard src/hlx.c src/hlx_*.c)
HLXD_SRC = $(wildcard src/hlxd.c src/hlxd_*.c)
LIB_SRC	= $(filter-out $(HLX_SRC) $(HLXD_SRC),$(wildcard src/*.c))
LIB_OBJ	= $(LIB_SRC:src/%.c=$(O)/obj/%.o) $(O)/obj/schema_xsd.o \
	  $(O)/obj/store_sql.o $(O)/obj/store_sql_2.o \
	  $(O)/obj/store_sql_3.o
HLX_OBJ	= $(HLX_SRC:src/%.c=$(O)/obj/%.o)
HLXD_OBJ = $(HLXD_SRC:src/%.c=$(O)/obj/%.o)

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all check demo fuzz fuzz-build banned depcheck unit install clean deps
.DEFAULT_GOAL := all

all: banned $(BIN)/hlx $(BIN)/hlxd

$(BIN)/hlx: $(HLX_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BIN)/hlxd: $(HLXD_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(O)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The schemas (XSD, SQL) are compiled into the programs, so that they find
# them without any configuration wherever they run; make install also
# installs the XSD.
$(O)/gen/schema_xsd.c: schemas/hlx-1.xsd scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh schema_xsd $< > $@.tmp && mv $@.tmp $@

$(O)/gen/store_sql.c: schemas/store.sql scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh store_sql $< > $@.tmp && mv $@.tmp $@

$(O)/gen/store_sql_2.c: schemas/store-2.sql scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh store_sql_2 $< > $@.tmp && mv $@.tmp $@

$(O)/gen/store_sql_3.c: schemas/store-3.sql scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh store_sql_3 $< > $@.tmp && mv $@.tmp $@

$(O)/obj/%.o: $(O)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/obj/testlib.o: tests/unit/testlib.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/tests/%: tests/unit/%.c $(O)/obj/testlib.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS) $(CMOCKA_LIBS)

unit: $(UNIT_BIN)

# Banned in our code (STYLE.md): unbounded copies and unchecked conversions.
BANNED = strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok
banned:
	@if grep -nE '\b($(BANNED))[[:space:]]*\(' src/*.c include/*.h \
	    tests/unit/*.c tests/fuzz/*.c bench/*.c 2>/dev/null; then \
		echo "banned call(s) above: use snprintf/strtol-family" >&2; \
		exit 1; \
	fi

# A lower layer never includes a higher one (STYLE.md "Layers").
depcheck:
	@sh scripts/depcheck.sh

# libFuzzer targets: clang, ASan and UBSan, in their own tree.
FUZZ_O	= build/fuzz
fuzz-build:
	$(MAKE) --no-print-directory CC=clang O=$(FUZZ_O) BIN=$(FUZZ_O)/bin \
	    SANITIZE=address,undefined,fuzzer-no-link $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_O)/bin/%)

$(BIN)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

fuzz: deps fuzz-build
	sh scripts/fuzz.sh $(FUZZ_O)/bin $(FUZZ_TIME)

deps:
	@sh scripts/install-deps.sh

# make bench: speed, measured side by side (bench/run.sh writes
# BENCHMARKS.md); never part of make check.  hlxbench is the load
# generator (OpenSSL only); hlxloop runs translate/validate in a loop over
# the same library objects as bin/hlx.
.PHONY: bench
$(O)/bench/hlxbench: bench/hlxbench.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(PKG_LIBS)

$(O)/bench/hlxloop: bench/hlxloop.c $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.c %.o,$^) $(PKG_LIBS)

bench: deps
	@$(MAKE) --no-print-directory all $(O)/bench/hlxbench $(O)/bench/hlxloop
	@sh bench/run.sh

check: deps
	@sh scripts/check.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# The manual pages (mdoc): hlx(1), hlx.conf(5), hlxd(8).
MAN	= man/hlx.1 man/hlx.conf.5 man/hlxd.8
MANDIR	?= $(PREFIX)/share/man

# systemd: the unit, with hlxd's installed path rendered in, and the
# tmpfiles.d entry that makes the directories it writes.
UNITDIR	?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/hlx/schemas \
	    $(DESTDIR)$(PREFIX)/share/doc/hlx $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(BIN)/hlx $(BIN)/hlxd $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 schemas/hlx-1.xsd $(DESTDIR)$(PREFIX)/share/hlx/schemas/
	install -m 0644 etc/hlx.conf $(DESTDIR)$(PREFIX)/share/doc/hlx/hlx.conf.sample
	install -m 0644 $(filter %.1,$(MAN)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(filter %.5,$(MAN)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(filter %.8,$(MAN)) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SYSUSERSDIR)
	@mkdir -p $(O)
	sed -e 's|@BINDIR@|$(PREFIX)/bin|g' etc/hlxd.service >$(O)/hlxd.service
	@! grep -n '@[A-Z_]*@' $(O)/hlxd.service
	install -m 0644 $(O)/hlxd.service $(DESTDIR)$(UNITDIR)/hlxd.service
	install -m 0644 etc/hlx.tmpfiles $(DESTDIR)$(TMPFILESDIR)/hlx.conf
	install -m 0644 etc/hlx.sysusers $(DESTDIR)$(SYSUSERSDIR)/hlx.conf

clean:
	rm -rf build bin

-include $(wildcard $(O)/obj/*.d $(O)/tests/*.d)

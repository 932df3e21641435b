# SPDX-License-Identifier: GPL-2.0
# xlb build: BPF objects and skeletons, the xlb binary, tests, bench, demo.
# Out of tree in build/, quiet unless V=1. SANITIZE=address,undefined for
# sanitizer builds of the userspace code.

BUILD ?= build
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

WARN := -Wall -Wextra -Werror
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) \
	-I$(BUILD) -Ibpf
CFLAGS ?= -g -O2
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -I$(BUILD) -Ibpf -Iuser -MMD -MP
LDLIBS := -lbpf -lelf -lz -lyaml -ljson-c -lcurl -lmicrohttpd
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_PROGS := balancer decap
BPF_OBJS := $(patsubst %,$(BUILD)/%.bpf.o,$(BPF_PROGS))
SKELS := $(patsubst %,$(BUILD)/%.skel.h,$(BPF_PROGS))
BPF_HDRS := $(wildcard bpf/*.h bpf/lib/*.h)

# user/ in layers (docs/architecture.md): everything but main.c is the
# library the tests link as well.
USER_LAYERS := core model dp agent cli
LIB_SRCS := $(foreach l,$(USER_LAYERS),$(wildcard user/$(l)/*.c))
LIB_HDRS := $(foreach l,$(USER_LAYERS),$(wildcard user/$(l)/*.h))
LIB_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
XLB := $(BUILD)/xlb

# Unit tests beside the layer they test: tests/unit/LAYER/test_NAME.c
# becomes $(BUILD)/tests/unit/LAYER/test_NAME.
UNIT_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/*/test_*.c))
# A packet-test suite is tests/bpf/NAME_test.c; packet_test also links the
# world its cases run in and every case file (each registers its table).
BPF_TESTS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/%,$(wildcard tests/bpf/*_test.c))
PACKET_TEST_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,tests/bpf/world.c \
	$(wildcard tests/bpf/cases/*.c))
TESTLOAD := $(BUILD)/tests/xlb-testload
# The packet fuzzer: tests/fuzz/*.c, with the packet tests' builder.
FUZZ := $(BUILD)/tests/xlb-fuzz
FUZZ_OBJS := $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(wildcard tests/fuzz/*.c))
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 0
BENCH_TOOL := $(BUILD)/tests/xlb-bench $(BUILD)/tests/xlb-tableswap \
	$(BUILD)/tests/xlb-failpoll $(BUILD)/tests/xlb-udpflood \
	$(BUILD)/tests/xlb-benchxdp $(BUILD)/tests/xlb-httpd \
	$(BUILD)/tests/xlb-hcbench

DEPS_STAMP := $(BUILD)/.deps-ok

.DELETE_ON_ERROR:
.PHONY: all test bench fuzz demo check format clean install uninstall help deps

all: $(XLB) $(BPF_OBJS)

help:
	@echo "make            build bpf objects, skeletons and $(XLB)"
	@echo "make test       run every test suite (needs root)"
	@echo "make bench      data-path benchmarks"
	@echo "make fuzz       packet fuzzer, FUZZ_SECONDS=600 (needs root;"
	@echo "                FUZZ_SEED=N repeats a run)"
	@echo "make demo       namespaces, balanced traffic, failover"
	@echo "make check      layering of user/, clang-format, cppcheck, shellcheck"
	@echo "make install    binary, man page, completion, unit, sample config"
	@echo "                (PREFIX=/usr/local, DESTDIR=, SYSCONFDIR=/etc)"
	@echo "make uninstall  remove what make install put in place"
	@echo "make clean      remove $(BUILD)/"

# Installs Debian packages only when a tool or header is missing.
$(DEPS_STAMP): scripts/install-deps.sh | $(BUILD)
	$(Q)scripts/install-deps.sh
	$(Q)touch $@

deps: $(DEPS_STAMP)

$(BUILD) $(BUILD)/tests $(addprefix $(BUILD)/user/,$(USER_LAYERS)):
	$(Q)mkdir -p $@

$(BUILD)/vmlinux.h: | $(DEPS_STAMP) $(BUILD)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xlb_$* > $@

$(LIB_OBJS) $(BUILD)/user/main.o: $(SKELS)

$(BUILD)/user/%.o: user/%.c | $(addprefix $(BUILD)/user/,$(USER_LAYERS)) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(XLB): $(BUILD)/user/main.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: pure C under AddressSanitizer and UBSan, with cmocka.
UNIT_CFLAGS := $(WARN) -std=gnu11 -D_GNU_SOURCE -g -O1 -I$(BUILD) -Ibpf \
	-Iuser -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
# The library built once more with the sanitizers, for every unit test.
ASAN_OBJS := $(patsubst user/%.c,$(BUILD)/asan/user/%.o,$(LIB_SRCS))
.SECONDARY: $(ASAN_OBJS)

$(sort $(dir $(UNIT_TESTS) $(ASAN_OBJS))):
	$(Q)mkdir -p $@

$(BUILD)/asan/user/%.o: user/%.c $(SKELS) | $(sort $(dir $(ASAN_OBJS)))
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(UNIT_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(wildcard tests/unit/*/*.h) \
		$(ASAN_OBJS) | $(sort $(dir $(UNIT_TESTS)))
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(UNIT_CFLAGS) $< $(ASAN_OBJS) -o $@ -lcmocka $(LDLIBS)

$(BUILD)/tests/bpf/cases:
	$(Q)mkdir -p $@

$(BUILD)/tests/bpf/%.o: tests/bpf/%.c $(SKELS) | $(BUILD)/tests/bpf/cases
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf -c $< -o $@

$(BUILD)/tests/packet_test: $(PACKET_TEST_OBJS)

$(BUILD)/tests/%: tests/bpf/%.c $(LIB_OBJS) $(wildcard tests/bpf/*.h) | $(BUILD)/tests
	$(call msg,CC-TEST,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf $< $(filter %.o,$^) -o $@ $(LDLIBS)

$(BUILD)/tests/fuzz:
	$(Q)mkdir -p $@

$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c $(SKELS) | $(BUILD)/tests/fuzz
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/bpf -Itests/fuzz -c $< -o $@

$(FUZZ): $(FUZZ_OBJS) $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

fuzz: all $(FUZZ)
	$(Q)$(FUZZ) -t $(FUZZ_SECONDS) $(if $(filter-out 0,$(FUZZ_SEED)),-s $(FUZZ_SEED)) \
		-d tests/fuzz/seeds -o $(BUILD)/fuzz

$(BUILD)/tests/xlb-%: tests/tools/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,CC-TOOL,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LDLIBS)

test: all $(UNIT_TESTS) $(BPF_TESTS) $(TESTLOAD) $(FUZZ)
	$(Q)tests/run.sh $(BUILD)

bench: all $(BENCH_TOOL)
	$(Q)scripts/install-deps.sh --bench
	$(Q)tests/bench/run.sh $(BUILD)

# Benchmark extras: the bare XDP_DROP floor program, embedded in xlb-bench
# as a skeleton (explicit rules: the bpf/ pattern rules do not apply).
BENCH_DROP := $(BUILD)/bench/drop.bpf.o

$(BUILD)/bench:
	$(Q)mkdir -p $@

$(BENCH_DROP): tests/bench/drop.bpf.c $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/drop.skel.h: $(BENCH_DROP)
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xlb_bench_drop > $@

$(BUILD)/bench/hash.skel.h: $(BUILD)/bench/hash.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xlb_bench_hash > $@

$(BUILD)/tests/xlb-bench: $(BUILD)/bench/drop.skel.h $(BUILD)/bench/hash.skel.h

# The veth throughput bench's bare forwarder and counting sink, loaded by
# xlb-benchxdp.
$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c $(BUILD)/vmlinux.h $(BPF_HDRS) | $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/fwd.skel.h: $(BUILD)/bench/fwd.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xlb_bench_fwd > $@

$(BUILD)/bench/sink.skel.h: $(BUILD)/bench/sink.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name xlb_bench_sink > $@

$(BUILD)/tests/xlb-benchxdp: $(BUILD)/bench/fwd.skel.h $(BUILD)/bench/sink.skel.h

demo: all
	$(Q)scripts/demo.sh $(BUILD)

# clang-format 14 cannot say everything kernel style does: its findings
# are shown, not fatal. cppcheck and ShellCheck findings fail the check.
check: all
	$(Q)scripts/check-layers.py $(BUILD)
	$(Q)clang-format --dry-run bpf/*.c bpf/*.h bpf/lib/*.h user/*.c user/*/*.[ch] tests/*/*.c tests/*/*/*.c 2>&1 | grep -c warning | sed 's/^/clang-format: lines to reformat: /'
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning --suppress=unknownMacro --inline-suppr -Ibpf -Iuser -I$(BUILD) user/
	$(Q)shellcheck -x scripts/*.sh tests/*.sh tests/*/*.sh .ci/run
	$(Q)shellcheck -s bash scripts/xlb.bash-completion

format:
	$(Q)clang-format -i bpf/*.c bpf/*.h bpf/lib/*.h user/*.c user/*/*.[ch] tests/*/*.c tests/*/*/*.c

# The config is installed only when there is none: an existing
# $(SYSCONFDIR)/xlb/xlb.yaml is never overwritten (the sample always goes
# to share/doc), and uninstall removes it only if it is still the sample.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
UNITDIR := $(PREFIX)/lib/systemd/system
DOCDIR := $(PREFIX)/share/doc/xlb
install: $(XLB) $(BPF_OBJS)
	install -D -m 0755 $(XLB) $(DESTDIR)$(SBINDIR)/xlb
	install -D -m 0644 $(BPF_OBJS) -t $(DESTDIR)$(PREFIX)/lib/xlb/
	install -D -m 0644 docs/xlb.8 $(DESTDIR)$(MANDIR)/man8/xlb.8
	install -D -m 0644 scripts/xlb.bash-completion \
		$(DESTDIR)$(COMPLETIONDIR)/xlb
	install -d $(DESTDIR)$(UNITDIR)
	sed -e 's|/usr/local/sbin/xlb|$(SBINDIR)/xlb|g' \
		-e 's|/etc/xlb/|$(SYSCONFDIR)/xlb/|g' scripts/xlb.service \
		>$(DESTDIR)$(UNITDIR)/xlb.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/xlb.service
	install -D -m 0644 etc/xlb.yaml $(DESTDIR)$(DOCDIR)/xlb.yaml.sample
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml"; \
	else \
		install -D -m 0600 etc/xlb.yaml \
			$(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xlb $(DESTDIR)$(MANDIR)/man8/xlb.8 \
		$(DESTDIR)$(COMPLETIONDIR)/xlb $(DESTDIR)$(UNITDIR)/xlb.service \
		$(patsubst $(BUILD)/%,$(DESTDIR)$(PREFIX)/lib/xlb/%,$(BPF_OBJS))
	rmdir $(DESTDIR)$(PREFIX)/lib/xlb 2>/dev/null || true
	@if cmp -s etc/xlb.yaml $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/xlb 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml ]; then \
		echo "keeping the edited $(DESTDIR)$(SYSCONFDIR)/xlb/xlb.yaml"; \
	fi
	rm -f $(DESTDIR)$(DOCDIR)/xlb.yaml.sample
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/user/*.d $(BUILD)/user/*/*.d $(BUILD)/asan/user/*/*.d $(BUILD)/tests/*.d \
	$(BUILD)/tests/bpf/*.d $(BUILD)/tests/bpf/cases/*.d $(BUILD)/tests/fuzz/*.d)

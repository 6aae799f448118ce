# fluxs: build, test, benchmark, install.  `make help` lists the targets.
SHELL := /bin/bash
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= $(PREFIX)/etc
SWIFT ?= swift
# Release executables link the Swift runtime statically: they start in ~2 ms instead of ~3.4.
RELEASE_FLAGS := -c release --static-swift-stdlib -Xcxx -DNDEBUG
BINDIR := .build/release
PROGRAMS := fluxs fluxs-broker fluxs-shell fluxs-imp fluxs-sched-sim
DEB_PACKAGES := libzmq3-dev libhwloc-dev hwloc pkg-config groff-base python3 python3-pytest python3-pytest-timeout util-linux mpich libmpich-dev libsqlite3-dev munge libmunge-dev libsodium-dev
# The Python the tests run (Debian's, with Debian's pytest); the ExaWorks clients' suites
# run in a virtual environment of their own (make check-clients).
PYTHON ?= /usr/bin/python3
CLIENTS_VENV ?= $(CURDIR)/.venv-clients
PYTHON_PACKAGES := fluxs psij_fluxs parsl_fluxs psij-descriptors
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PROVE_JOBS ?= 2

.PHONY: soak fuzz sanitize help deps build check unit integration python check-clients bench run install uninstall clean

help:
	@echo "make deps          install the Debian packages fluxs needs (no-op when present)"
	@echo "make build         release build of every executable"
	@echo "make check         deps, build, unit tests (swift test), integration tests (prove t/), Python tests"
	@echo "make check-clients psij-python's and Parsl's own test suites on fluxs (from PyPI, in a venv)"
	@echo "make bench         run the benchmark suite and print its table"
	@echo "make soak          16 brokers under faults for SOAK_MINUTES (Soak/README.md); 2 minutes in make check"
	@echo "make fuzz          libFuzzer on every parser and codec, FUZZ_SECONDS each (Fuzz/README.md)"
	@echo "make sanitize      unit tests and t/ under AddressSanitizer, then ThreadSanitizer"
	@echo "make run           run the main job (see README.md)"
	@echo "make install       install into PREFIX=$(PREFIX) (also DESTDIR)"
	@echo "make clean         remove build products and test leftovers"

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing$$missing"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Product by product: a plain `swift build` also tries GRDB's dynamic library product,
# which cannot link against the static Swift runtime.
build:
	@for product in $(PROGRAMS) fluxs-bench; do \
	    echo "$(SWIFT) build $(RELEASE_FLAGS) --product $$product"; \
	    $(SWIFT) build $(RELEASE_FLAGS) --product $$product || exit 1; \
	done

check: deps build unit integration python
	$(MAKE) --no-print-directory soak SOAK_MINUTES=2

unit:
	$(SWIFT) test

integration: build
	FLUXS_BUILD_DIR=$(CURDIR)/$(BINDIR) prove -j$(PROVE_JOBS) --timer t/t*.t

# The Python API and the clients' plug-ins, against a real two-broker instance.
python: build
	PATH=$(CURDIR)/$(BINDIR):$$PATH PYTHONPATH=$(CURDIR)/bindings/python \
	    $(BINDIR)/fluxs start --test-size=2 $(PYTHON) -m pytest -q -p no:cacheprovider t/python

# psij-python's and Parsl's own suites on fluxs, and our tests of the plug-ins (which
# make check skips: Debian's Python has neither psij nor parsl).
check-clients: build
	t/clients/make-venv.sh $(CLIENTS_VENV)
	PATH=$(CURDIR)/$(BINDIR):$$PATH PYTHONPATH=$(CURDIR)/bindings/python \
	    $(BINDIR)/fluxs start --test-size=2 $(CLIENTS_VENV)/bin/python -m pytest -q -p no:cacheprovider \
	    t/python/test_psij_executor.py t/python/test_parsl_provider.py t/python/test_parsl_executor.py
	PATH=$(CURDIR)/$(BINDIR):$$PATH t/clients/psij.sh $(CLIENTS_VENV)
	PATH=$(CURDIR)/$(BINDIR):$$PATH t/clients/parsl.sh $(CLIENTS_VENV)

bench: build
	$(BINDIR)/fluxs-bench

# A soak under faults (Soak/README.md): 16 brokers, 8 submitters, SIGKILLs of leaves and
# of rank 0; fails unless every job and commit is accounted for and nothing is left.
SOAK_MINUTES ?= 60
soak: build
	PYTHONPATH=$(CURDIR)/bindings/python $(PYTHON) Soak/soak.py --minutes $(SOAK_MINUTES) --build-dir $(CURDIR)/$(BINDIR)

# AddressSanitizer, then ThreadSanitizer: the unit tests (LeakSanitizer too), then the t/
# suite with programs built with the sanitizer (build folders .build-asan and .build-tsan).
# In t/ the sanitizers write their reports to DIR/reports, and any report fails the run;
# leak checks are off there (a command that exits from its async main leaves live values
# that LeakSanitizer reports; the soak bounds the broker's memory instead). Not in make check.
SANITIZERS ?= address thread
sanitize: build
	@for s in $(SANITIZERS); do \
	    dir=.build-$$( [ $$s = address ] && echo asan || echo tsan ); \
	    echo "== $$s: unit tests"; \
	    $(SWIFT) test --disable-xctest --sanitize=$$s --scratch-path $$dir || exit 1; \
	    echo "== $$s: t/"; \
	    for product in $(PROGRAMS); do \
	        $(SWIFT) build -c release -Xcxx -DNDEBUG --sanitize=$$s --scratch-path $$dir --product $$product || exit 1; \
	    done; \
	    rm -rf $$dir/reports && mkdir -p $$dir/reports; \
	    ASAN_OPTIONS=detect_leaks=0:log_path=$(CURDIR)/$$dir/reports/asan \
	    TSAN_OPTIONS=log_path=$(CURDIR)/$$dir/reports/tsan \
	    FLUXS_BUILD_DIR=$(CURDIR)/$$dir/release prove -j$(PROVE_JOBS) --timer t/t*.t; failed=$$?; \
	    if [ -n "$$(ls $$dir/reports)" ]; then \
	        echo "== $$s: $$(ls $$dir/reports | wc -l) reports in $$dir/reports:"; head -40 $$dir/reports/*; exit 1; \
	    fi; \
	    [ $$failed = 0 ] || exit 1; \
	done

# libFuzzer on the parsers and codecs (Fuzz/README.md): FUZZ_SECONDS per target, new
# inputs kept in .build-fuzz/corpus, crashes in .build-fuzz/crashes (then a test each).
# toml runs without leak checks: TOMLKit 0.6 leaks in every parse and convert.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := codec json jobspec-json jobspec-yaml R idset hostlist fsd eventlog toml pmi signed
fuzz:
	FLUXS_FUZZ=1 $(SWIFT) build -c release --scratch-path .build-fuzz -Xcxx -DNDEBUG -Xswiftc -sanitize=fuzzer,address \
	    -Xswiftc -parse-as-library --product fluxs-fuzz
	@mkdir -p .build-fuzz/crashes; failed=""; \
	for target in $(FUZZ_TARGETS); do \
	    mkdir -p .build-fuzz/corpus/$$target; \
	    echo "fuzz $$target: $(FUZZ_SECONDS) s"; \
	    leaks=1; [ $$target = toml ] && leaks=0; \
	    ASAN_OPTIONS=detect_leaks=$$leaks FLUXS_FUZZ_TARGET=$$target .build-fuzz/release/fluxs-fuzz \
	        -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -detect_leaks=$$leaks \
	        -artifact_prefix=.build-fuzz/crashes/$$target- .build-fuzz/corpus/$$target Fuzz/corpus/$$target \
	        >.build-fuzz/$$target.log 2>&1 || failed="$$failed $$target"; \
	    grep -E "stat::number_of_executed_units|stat::new_units_added" .build-fuzz/$$target.log | tr "\n" " "; echo; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (see .build-fuzz/*.log and .build-fuzz/crashes)"; exit 1; fi

run: build
	PATH=$(CURDIR)/$(BINDIR):$$PATH ./examples/main-job.sh

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(addprefix $(BINDIR)/,$(PROGRAMS)) $(DESTDIR)$(PREFIX)/bin/
	for sec in 1 5 7 8; do \
	    for page in man/man$$sec/*.$$sec; do \
	        [ -f "$$page" ] && install -m 644 "$$page" $(DESTDIR)$(PREFIX)/share/man/man$$sec/; \
	    done; \
	done; true
	$(BINDIR)/fluxs --generate-completion-script bash >$(DESTDIR)$(PREFIX)/share/bash-completion/completions/fluxs
	$(BINDIR)/fluxs --generate-completion-script zsh >$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fluxs
	$(BINDIR)/fluxs --generate-completion-script fish >$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/fluxs.fish
	install -d $(DESTDIR)$(SYSCONFDIR)/fluxs/system/conf.d $(DESTDIR)$(PREFIX)/lib/systemd/system \
	    $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	for file in etc/fluxs/system/conf.d/*.toml; do \
	    [ -e $(DESTDIR)$(SYSCONFDIR)/fluxs/system/conf.d/$$(basename $$file).example ] || \
	    sed 's|/etc/fluxs|$(SYSCONFDIR)/fluxs|g' $$file >$(DESTDIR)$(SYSCONFDIR)/fluxs/system/conf.d/$$(basename $$file).example; \
	done
	sed 's|/usr/local/bin|$(PREFIX)/bin|g; s|/etc/fluxs|$(SYSCONFDIR)/fluxs|g' etc/systemd/fluxs.service \
	    >$(DESTDIR)$(PREFIX)/lib/systemd/system/fluxs.service
	install -d $(DESTDIR)$(PREFIX)/lib/fluxs/python
	cd bindings/python && find $(PYTHON_PACKAGES) \( -name '*.py' -o -name '*.mustache' \) -exec install -D -m 644 {} $(DESTDIR)$(PREFIX)/lib/fluxs/python/{} \;
	install -m 644 etc/tmpfiles.d/fluxs.conf $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/fluxs.conf
	[ -e $(DESTDIR)$(PREFIX)/etc/fluxs/imp.conf ] || install -D -m 644 etc/fluxs/imp.conf $(DESTDIR)$(PREFIX)/etc/fluxs/imp.conf
	# fluxs-imp runs job shells as their users: setuid root, when root installs.
	if [ "$$(id -u)" = 0 ]; then chown root:root $(DESTDIR)$(PREFIX)/bin/fluxs-imp && chmod 4755 $(DESTDIR)$(PREFIX)/bin/fluxs-imp; fi

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(PROGRAMS))
	for page in man/man*/*.[1-8]; do rm -f $(DESTDIR)$(PREFIX)/share/$$page; done
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/fluxs \
	    $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_fluxs \
	    $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/fluxs.fish \
	    $(DESTDIR)$(PREFIX)/lib/systemd/system/fluxs.service $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/fluxs.conf
	rm -f $(DESTDIR)$(SYSCONFDIR)/fluxs/system/conf.d/*.toml.example
	rm -rf $(DESTDIR)$(PREFIX)/lib/fluxs/python

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan t/trash-*

# kpireport — see README.md. Needs Go 1.26; nothing else for demo and test.
GO      ?= go
BIN     := bin/kpireport
DEMO    ?= kpireport-demo
PKGS    := ./...

.PHONY: all build demo test vet fmt-check bench bench-micro bench-scale fuzz clean

all: build

# -buildvcs=auto: stamp the git revision for `kpireport --version` where git can say it.
build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/kpireport

# The main job end to end on the embedded default (SQLite): sample data, KPIs, the
# workbook and PDF of last month, and delivery to a local outbox of .eml files.
demo: build
	$(BIN) demo --dir $(DEMO)
	$(BIN) kpis --config $(DEMO)/kpireport.toml --job monthly
	$(BIN) generate --config $(DEMO)/kpireport.toml --job monthly --send
	@echo; echo "reports: $(DEMO)/reports/   mails (.eml): $(DEMO)/outbox/   ledger: bin/kpireport history --config $(DEMO)/kpireport.toml"

# Everything CI checks: formatting, vet, unit and integration tests (integration tests
# skip with a message when their service or tool is missing, except under CI=true).
test: fmt-check vet
	$(GO) test -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The micro-benchmarks of the hot paths, then wall time and peak RSS of every source
# through the binary (bench-scale).
bench: bench-micro bench-scale

# Micro-benchmarks (go test -bench) of the hot paths.
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Wall time and peak RSS of kpis and generate per source (CSV, SQLite, PostgreSQL) at
# BENCH_ORDERS orders (default 1000000; "1000000 10000000" for the README's numbers),
# and the ratio to psql running the same SQL. Needs PostgreSQL (see bench/scale.sh).
bench-scale:
	bash bench/scale.sh

# Long fuzzing of the parsers (their seed corpora already run in `make test`).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./money
	$(GO) test -run '^$$' -fuzz FuzzDayParser -fuzztime $(FUZZTIME) ./period
	$(GO) test -run '^$$' -fuzz FuzzSplitRow -fuzztime $(FUZZTIME) ./sources/csv

clean:
	rm -rf bin $(DEMO)

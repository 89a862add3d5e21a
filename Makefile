# imyrag — build, test and run. `make help` lists the targets.
GO        ?= go
BIN       ?= bin/imyrag
FUZZTIME  ?= 10s
BENCHTIME ?= 1x

.PHONY: help build test unit ollama fuzz run serve bench lint golden clean

help: ## list targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

# -buildvcs=auto: stamp the commit (eval reports record it) even where
# GOFLAGS says -buildvcs=false.
build: ## build bin/imyrag
	$(GO) build -trimpath -buildvcs=auto -o $(BIN) ./cmd/imyrag

test: unit fuzz ## vet, all tests, and a short run of every fuzz target

# The Ollama tests run against a real server built from source by
# scripts/ollama-server (minutes the first time, then cached).
unit:
	$(GO) vet ./...
	IMYRAG_OLLAMA_BIN=$$(scripts/ollama-server) && export IMYRAG_OLLAMA_BIN && $(GO) test -count=1 ./...

ollama: ## build the Ollama server the tests run against
	scripts/ollama-server

# Each fuzz target runs for FUZZTIME; failures land in testdata/fuzz.
# scripts/fuzz reruns once a target that failed only by Go 1.26's
# fuzztime deadline race (golang/go#75804).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz

QUESTION ?= Vad säger regeringen om en integritetsskyddspolitik?

ADDR ?= 127.0.0.1:8080

run: build ## build, index the bundled corpus, answer a sample question, then serve the chat page
	./$(BIN) ingest
	./$(BIN) index stats
	@echo; echo "imyrag ask \"$(QUESTION)\""; echo
	./$(BIN) ask "$(QUESTION)"
	@echo; echo "Chat page and API: http://$(ADDR)/  (Ctrl-C stops the server)"
	./$(BIN) serve --addr $(ADDR)

serve: build ## serve the chat page, the API and /v1 on ADDR (default 127.0.0.1:8080)
	./$(BIN) serve --addr $(ADDR)

# Every benchmark, one package at a time (-p 1: the machine has two cores),
# then the dev-set quality of our engine and its two peers. BENCHTIME=1x
# runs each configuration once (a search configuration is a pass of 500
# queries). About 7 minutes on 2 cores, most of it the 100,000-chunk
# corpora; IMYRAG_BENCH_CHUNKS, IMYRAG_BENCH_CORPORA and IMYRAG_BENCH_QUERIES
# shrink them. docs/BENCHMARKS.md has the numbers.
bench: ## extraction, ingest, search latency and quality vs SQLite FTS5 and bleve
	IMYRAG_OLLAMA_BIN=$$(scripts/ollama-server) && export IMYRAG_OLLAMA_BIN && \
	$(GO) test -p 1 -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m ./...
	$(GO) test -count=1 -run '^TestQuality$$' -v ./retrieval/peers/ -args -table

# The evaluation harness (eval/, `imyrag eval`): the development set on the
# bundled corpus, lexical and extractive, gated by eval/testdata/thresholds.json;
# then the full pipeline (hybrid search, generated answers, LLM judge) with the
# test Ollama on a small subset (TestEvalWithOllama, 1–2 minutes on 2 cores).
# Each writes report.json, report.md and report.html under EVAL_OUT.
EVAL_OUT ?= bin/eval
.PHONY: eval
eval: build ## evaluation reports and quality gate (dev set; full pipeline on a subset)
	rm -rf $(EVAL_OUT) && mkdir -p $(EVAL_OUT)
	./$(BIN) ingest --quiet --llm off --index $(EVAL_OUT)/index.db
	./$(BIN) eval --llm off --index $(EVAL_OUT)/index.db --set eval/testdata/dev.jsonl -o $(EVAL_OUT)/dev \
	  --thresholds eval/testdata/thresholds.json --profile dev-extractive
	IMYRAG_OLLAMA_BIN=$$(scripts/ollama-server) && export IMYRAG_OLLAMA_BIN && \
	IMYRAG_EVAL_OUT=$(abspath $(EVAL_OUT)) $(GO) test -count=1 -run '^TestEvalWithOllama$$' -v ./cmd/internal/cli/

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

golden: ## rewrite golden files after an intended change
	$(GO) test ./... -run Golden -update

clean:
	rm -rf bin

# Mimeo: `make demo` sets up and runs the main job on the bundled sample; `make test` runs the tests.
SWIFT ?= swift
APT_PACKAGES := libzmq3-dev libopenblas-dev pkg-config zlib1g-dev libsqlite3-dev libzstd-dev libsnappy-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MIMEO := .build/release/mimeo
OUT := out

.PHONY: deps build demo test bench bench-wide bench-cluster bench-cluster-overhead fuzz clean

## deps: install the Debian packages Mimeo builds against, if any is missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## build: release build of the `mimeo` binary
build: deps
	$(SWIFT) build -c release --product mimeo

## demo: train on the bundled adult sample, generate rows, show what was written
demo: build
	@mkdir -p $(OUT)
	$(MIMEO) train samples/adult-sample.csv -o $(OUT)/demo.mimeo --seed 1
	$(MIMEO) generate $(OUT)/demo.mimeo -n 5000 -o $(OUT)/demo-synthetic.csv --seed 7
	$(MIMEO) generate $(OUT)/demo.mimeo -n 1000 --where income='>50K' -o $(OUT)/demo-rich.csv --seed 7
	$(MIMEO) info $(OUT)/demo.mimeo
	@echo; echo "wrote $(OUT)/demo.mimeo, $(OUT)/demo-synthetic.csv (5000 rows), $(OUT)/demo-rich.csv (1000 rows, income >50K)"
	@head -5 $(OUT)/demo-synthetic.csv

## test: run the whole test suite (the release build first: the cluster's 20-million-row test runs it)
test: build pyzmq-venv parquet-venv validate-deploy
	$(SWIFT) test

## pyzmq-venv: the test-only Python venv with pyzmq that runs Tests/interop/mwp_client.py (docs/protocol/interop.md)
INTEROP_VENV := .build/venv-interop
PYZMQ_VERSION := 27.3.0
.PHONY: pyzmq-venv
pyzmq-venv:
	@$(INTEROP_VENV)/bin/python -c 'import zmq' 2>/dev/null || { \
	  rm -rf $(INTEROP_VENV) && python3 -m venv $(INTEROP_VENV) && \
	  $(INTEROP_VENV)/bin/pip install -q pyzmq==$(PYZMQ_VERSION); }

## parquet-venv: the test-only Python venv with pyarrow and duckdb that reads Mimeo's Parquet files and writes
## the reader's fixtures (Tests/MimeoParquetTests, scripts/parquet-fixtures.py; docs/parquet.md)
PARQUET_VENV := .build/venv-parquet
PYARROW_VERSION := 21.0.0
DUCKDB_VERSION := 1.3.2
PYTZ_VERSION := 2025.2
.PHONY: parquet-venv parquet-fixtures
parquet-venv:
	@$(PARQUET_VENV)/bin/python -c 'import pyarrow, duckdb, pytz' 2>/dev/null || { \
	  rm -rf $(PARQUET_VENV) && python3 -m venv $(PARQUET_VENV) && \
	  $(PARQUET_VENV)/bin/pip install -q pyarrow==$(PYARROW_VERSION) duckdb==$(DUCKDB_VERSION) pytz==$(PYTZ_VERSION); }

## parquet-fixtures: regenerate the committed Parquet files written by pyarrow and DuckDB that the reader's tests read
parquet-fixtures: parquet-venv
	$(PARQUET_VENV)/bin/python scripts/parquet-fixtures.py Tests/MimeoParquetTests/Fixtures

## dp-accounting-fixtures: regenerate the RDP accountant's reference values from Google's dp-accounting
## (Tests/MimeoFederatedTests/Fixtures/dp-accounting-rdp.json, committed; the Swift test needs no Python)
DP_ACCOUNTING_VENV := .build/venv-dp-accounting
DP_ACCOUNTING := dp-accounting==0.6.0
.PHONY: dp-accounting-fixtures
dp-accounting-fixtures:
	@$(DP_ACCOUNTING_VENV)/bin/python -c 'import dp_accounting' 2>/dev/null || { \
	  rm -rf $(DP_ACCOUNTING_VENV) && python3 -m venv $(DP_ACCOUNTING_VENV) && \
	  $(DP_ACCOUNTING_VENV)/bin/pip install -q $(DP_ACCOUNTING); }
	$(DP_ACCOUNTING_VENV)/bin/python scripts/dp-accounting-fixtures.py Tests/MimeoFederatedTests/Fixtures/dp-accounting-rdp.json

## drift-fixtures: regenerate `mimeo drift`'s reference values from Evidently (Tests/MimeoEvalTests/Fixtures/drift/,
## committed; the Swift test needs no Python). Needs ../shared/datasets (adult, flights).
EVIDENTLY_VENV := .build/venv-evidently
EVIDENTLY := evidently==0.7.23 pandas==2.3.3
.PHONY: drift-fixtures
drift-fixtures:
	@$(EVIDENTLY_VENV)/bin/python -c 'import evidently' 2>/dev/null || { \
	  rm -rf $(EVIDENTLY_VENV) && python3 -m venv $(EVIDENTLY_VENV) && \
	  $(EVIDENTLY_VENV)/bin/pip install -q $(EVIDENTLY); }
	PYTHONHASHSEED=0 $(EVIDENTLY_VENV)/bin/python -W ignore scripts/drift-fixtures.py

## pii-table: regenerate the labelled PII table `mimeo transform`'s detection is measured on
## (Tests/MimeoPrivacyTests/Fixtures/, committed; standard library Python only)
.PHONY: pii-table presidio-compare
pii-table:
	python3 scripts/make-pii-table.py --rows 200 --seed 12 \
	  Tests/MimeoPrivacyTests/Fixtures/pii-table.csv Tests/MimeoPrivacyTests/Fixtures/pii-labels.json

## presidio-compare: Microsoft Presidio's pattern recognizers on the same labelled table (docs/transform.md);
## not part of `make test`
PRESIDIO_VENV := .build/venv-presidio
PRESIDIO := presidio-analyzer==2.2.358
presidio-compare:
	@$(PRESIDIO_VENV)/bin/python -c 'import presidio_analyzer' 2>/dev/null || { \
	  rm -rf $(PRESIDIO_VENV) && python3 -m venv $(PRESIDIO_VENV) && \
	  $(PRESIDIO_VENV)/bin/pip install -q $(PRESIDIO); }
	for threshold in 0.0 0.5; do $(PRESIDIO_VENV)/bin/python -W ignore scripts/compare-presidio.py \
	  Tests/MimeoPrivacyTests/Fixtures/pii-table.csv Tests/MimeoPrivacyTests/Fixtures/pii-labels.json $$threshold 2>/dev/null; done

## validate-deploy: check docker-compose.yml and cluster/k8s/*.yaml offline against their schemas
DEPLOY_VENV := .build/venv-deploy
KUBERNETES_VALIDATE := kubernetes-validate==1.37.0
KUBERNETES_VERSION := 1.31.0
.PHONY: validate-deploy
validate-deploy:
	@command -v docker-compose >/dev/null 2>&1 || [ -x $(DEPLOY_VENV)/bin/docker-compose ] || { \
	  echo "installing: docker-compose"; \
	  { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      $(SUDO) apt-get install -y -qq --no-install-recommends docker-compose; } || \
	  { [ -x $(DEPLOY_VENV)/bin/pip ] || python3 -m venv $(DEPLOY_VENV); $(DEPLOY_VENV)/bin/pip install -q docker-compose; }; }
	@[ -x $(DEPLOY_VENV)/bin/kubernetes-validate ] || { \
	  [ -x $(DEPLOY_VENV)/bin/pip ] || python3 -m venv $(DEPLOY_VENV); $(DEPLOY_VENV)/bin/pip install -q $(KUBERNETES_VALIDATE); }
	PATH="$$PATH:$(abspath $(DEPLOY_VENV))/bin" docker-compose -f docker-compose.yml config -q
	$(DEPLOY_VENV)/bin/kubernetes-validate -k $(KUBERNETES_VERSION) --strict --quiet cluster/k8s/*.yaml

## augment-compare-venv: the venv (LightGBM, imbalanced-learn) of scripts/compare-augmentation.py; not used by `make test`
AUGMENT_VENV := .build/venv-augment-compare
AUGMENT_PACKAGES := lightgbm==4.7.0 imbalanced-learn==0.14.2 scikit-learn==1.9.1 pandas==3.1.1 numpy==2.4.6 scipy==1.17.1
.PHONY: augment-compare-venv compare-augmentation
augment-compare-venv:
	@$(AUGMENT_VENV)/bin/python -c 'import lightgbm, imblearn, pandas' 2>/dev/null || { \
	  rm -rf $(AUGMENT_VENV) && python3 -m venv $(AUGMENT_VENV) && \
	  $(AUGMENT_VENV)/bin/pip install -q $(AUGMENT_PACKAGES); }

## compare-augmentation: rare-minority adult and bank_marketing, a LightGBM classifier trained raw, on
## `mimeo augment` output, SMOTE-NC and random oversampling, scored on the untouched holdouts
## (docs/lifecycle-augment.md). MIMEO=path uses another binary; AUGMENT_ARGS passes options, e.g. --shares 0.3,0.5
AUGMENT_ARGS ?=
compare-augmentation: augment-compare-venv
	@[ "$(MIMEO)" != ".build/release/mimeo" ] || $(MAKE) build
	$(AUGMENT_VENV)/bin/python scripts/compare-augmentation.py --mimeo $(MIMEO) $(AUGMENT_ARGS)

## bench: measure parse, training, sampling and memory on CSV=path (default: adult train)
CSV ?= ../shared/datasets/adult/adult-train.csv
bench: build
	$(MIMEO) benchmark $(CSV)

## bench-wide: build a 500-column x 20,000-row table from real columns, train it, print peak memory
WIDE_CSV := $(OUT)/wide-500.csv
bench-wide: build
	@mkdir -p $(OUT)
	@[ -f $(WIDE_CSV) ] || python3 scripts/make-wide-table.py $(WIDE_CSV) --columns 500 --rows 20000 --seed 0
	/usr/bin/time -v $(MIMEO) train $(WIDE_CSV) -o $(OUT)/wide-500.mimeo 2> $(OUT)/wide-500-train.log; \
	  status=$$?; tr '\r' '\n' < $(OUT)/wide-500-train.log | grep -v -e '^epoch' -e '^	' -e '^$$'; \
	  grep -e 'Elapsed (wall clock)' -e 'Maximum resident' $(OUT)/wide-500-train.log; exit $$status

## bench-cluster: coordinator lease round trips/s with 1, 10 and 100 simulated workers (docs/scaling.md)
CLUSTER_BENCH_JSON := $(OUT)/cluster-bench.json
bench-cluster: deps
	$(SWIFT) build -c release --product MimeoClusterBenchmark
	@mkdir -p $(OUT)
	.build/release/MimeoClusterBenchmark --workers 1,10,100 --slots 1,4 --durability full,normal --seconds 10 \
	  --json $(CLUSTER_BENCH_JSON)

## bench-cluster-overhead: the cluster path against one process (--workers 1 vs --threads 1, 2 vs 2), side by side
OVERHEAD_ROWS ?= 4000000
bench-cluster-overhead: build
	@mkdir -p $(OUT)
	@[ -f $(OUT)/adult-bench.mimeo ] || $(MIMEO) train $(CSV) -o $(OUT)/adult-bench.mimeo --seed 1 --quiet
	python3 scripts/bench-cluster-overhead.py $(MIMEO) $(OUT)/adult-bench.mimeo --rows $(OVERHEAD_ROWS) \
	  --json $(OUT)/cluster-overhead.json

## fuzz: build the libFuzzer harnesses and run each for FUZZ_SECONDS (docs/fuzzing.md)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= csv schema model-file where wire parquet
FUZZ_BUILD := .build-fuzz
# Coverage and AddressSanitizer on every module built for a harness; lld, as gold fails on these objects.
FUZZ_SWIFTFLAGS := -Xswiftc -sanitize=fuzzer,address -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
fuzz: deps
	@for t in $(FUZZ_TARGETS); do \
	  MIMEO_FUZZ=1 $(SWIFT) build -c release --scratch-path $(FUZZ_BUILD) --product fuzz-$$t $(FUZZ_SWIFTFLAGS) \
	    || exit 1; done
	FUZZ_BUILD=$(FUZZ_BUILD) Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build $(FUZZ_BUILD) $(OUT)

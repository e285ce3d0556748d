# The two commands: `make dev` runs the gateway locally, `make test` runs every check.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PYTHONPATH := layers/common:.
export SAM_CLI_TELEMETRY := 0

.PHONY: dev dev-localstack e2e-localstack sam-local-env test bootstrap dashboard lint typecheck unit integration e2e faults soak rehearse deploy bench bench-burst bench-cold bench-payments bench-webhooks bench-dashboard bench-report

bootstrap:
	@scripts/bootstrap.sh

# The operator dashboard: npm ci when the lock changed, vite build when sources changed.
dashboard:
	@scripts/build-dashboard.sh

dev: bootstrap dashboard
	$(BIN)/python -m devstack

# The same runtime with LocalStack (host mode, no Docker, installed on first use) as the endpoint;
# with AWS_ENDPOINT_URL set, that endpoint (a LocalStack you run yourself) is used instead.
dev-localstack: bootstrap dashboard
	@scripts/bootstrap-localstack.sh
	$(BIN)/python -m devstack --localstack

# env.json for `sam local start-api/invoke --env-vars env.json` (Docker users; README "Local modes"):
# needs the endpoint up (make dev or make dev-localstack in another terminal).
sam-local-env: bootstrap
	$(BIN)/python -m devstack.sam_local

# The e2e suite against a LocalStack started for it (part of .ci/run).
e2e-localstack: bootstrap dashboard
	@scripts/bootstrap-browser.sh
	@scripts/bootstrap-localstack.sh
	$(BIN)/python -m stack.localstack -- $(BIN)/pytest tests/e2e

# pytest in two runs, one exit status (the first failure's; both always run): tests/unit and
# tests/integration on TEST_WORKERS pytest-xdist processes (each with its own Postgres and emulator,
# whole files per worker so module fixtures run once), then everything else under tests/ (e2e with its
# stacks, the timing-sensitive fault battery, any new folder) alone, one test at a time.
TEST_WORKERS ?= 2
PARALLEL_TESTS := tests/unit tests/integration
test: bootstrap lint typecheck
	@scripts/build-dashboard.sh --test
	@scripts/bootstrap-browser.sh
	@scripts/bootstrap-localstack.sh
	@status=0; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PARALLEL_TESTS) || status=$$?; \
	$(BIN)/pytest tests $(foreach folder,$(PARALLEL_TESTS),--ignore=$(folder)) || status=$$?; \
	exit $$status

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: bootstrap
	$(BIN)/mypy

unit: bootstrap
	$(BIN)/pytest tests/unit

integration: bootstrap
	@scripts/bootstrap-localstack.sh
	$(BIN)/pytest tests/integration

# The fault battery alone (part of `make test`): the real local stack under failures, figures printed.
faults: bootstrap
	$(BIN)/pytest tests/faults -s

# The soak (not part of `make test`): the local stack under 10 minutes of mixed load, every process's
# memory and the database's connections sampled, no growth after warm-up (SOAK_SECONDS=120 to shorten).
soak: bootstrap
	$(BIN)/pytest tests/soak -s -m soak

# The deploy rehearsal alone: the translated template through CloudFormation on LocalStack (~15 s).
rehearse: bootstrap
	@scripts/bootstrap-localstack.sh
	$(BIN)/python -m deploy.rehearsal

e2e: bootstrap dashboard
	@scripts/bootstrap-browser.sh
	$(BIN)/pytest tests/e2e

# Deploy to AWS (credentials from the environment): build, deploy the stack, then publish the
# dashboard and checkout SDK with their config.js. Create the first merchant with scripts/create-merchant.
# PROFILE=lean: the idle bill a small merchant can carry (README, "What it costs"); default production.
STACK ?= payment-gateway
REGION ?= ap-south-1
deploy: bootstrap dashboard
	@# EvidenceBucket is named {stack}-evidence-{account}-{region} (template.yaml says why): S3 wants it
	@# lower case and at most 63 characters, so refuse here what CloudFormation would refuse mid-deploy.
	@s="$(STACK)"; r="$(REGION)"; limit=$$((63 - 23 - $${#r})); \
	if [[ ! "$$s" =~ ^[a-z][a-z0-9-]*$$ || $${#s} -gt $$limit ]]; then \
		echo "deploy: STACK must be lower case (a-z, 0-9, -) and at most $$limit characters in $$r: '$$s'" >&2; exit 1; fi
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam deploy --stack-name $(STACK) --region $(REGION) \
		$(if $(PROFILE),--parameter-overrides "Stage=prod Profile=$(PROFILE)")
	$(BIN)/python -m deploy.publish_sites --stack $(STACK) --region $(REGION)

bench: bootstrap
	$(BIN)/python benchmarks/bench_gateway.py

# 120 payments in production mode (5-10 s bank wait): time to final, billed ms per function (writes benchmarks/billed.json).
bench-burst: bootstrap
	$(BIN)/python benchmarks/bench_burst.py

# Each function's cold start (import; import + first event) on the sam build output, beside the floor.
bench-cold: bootstrap
	$(BIN)/python -m benchmarks.bench_cold_starts

bench-payments: bootstrap
	$(BIN)/python benchmarks/bench_payments.py

bench-webhooks: bootstrap
	$(BIN)/python benchmarks/bench_webhooks.py

bench-dashboard: bootstrap dashboard
	@scripts/bootstrap-browser.sh
	$(BIN)/python benchmarks/bench_dashboard.py

# A 100,000-payment report through the real parts: seconds and the consumer's peak memory beside its floor.
# The API's and the consumer's handlers run in the benchmark's own process (their folders on the path).
bench-report: bootstrap
	PYTHONPATH=layers/common:functions/api:functions/generate_report:. $(BIN)/python -m benchmarks.bench_report

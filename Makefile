# Splitbook. Quick start: `make demo`, then `make test`.
.PHONY: demo up down status test unit bench bench-latency chaos clean

demo:  ## services up, the pipeline running, a marketplace day posted, balances shown
	@bash deploy/scripts/demo.sh

up:    ## services and pipeline in the background; settings in .local/env
	@bash deploy/scripts/up.sh

down:  ## stop the pipeline and the services
	@bash deploy/scripts/down.sh

status: ## each supervised worker: state, pid, restarts, last error
	@bash deploy/scripts/pipeline.sh status

test:  ## the whole suite against real Kafka and PostgreSQL
	@bash deploy/scripts/test.sh

unit:  ## the pure domain tests only (no services)
	@bash deploy/scripts/env.sh && .venv/bin/python -m pytest tests/unit

bench: ## posting throughput vs a one-event-per-transaction baseline
	@bash deploy/scripts/bench.sh $(ARGS)

bench-latency: ## publish-to-balance latency at sustained arrival rates (ARGS="--rates 1000,4000 --seconds 20")
	@BENCH=latency bash deploy/scripts/bench.sh $(ARGS)

chaos: ## the fault campaign (ARGS="--orders N --kills K --seed S ..."; see tests/chaos/campaign.py)
	@bash deploy/scripts/env.sh && bash deploy/scripts/services.sh up && .venv/bin/python -m tests.chaos.campaign $(ARGS)

clean: down
	@if [ -f .local/pg-home ]; then rm -rf "$$(cat .local/pg-home)"; fi
	rm -rf .local

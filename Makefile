# Splitbook. Quick start: `make demo`, then `make test`.
.PHONY: demo up down test unit bench clean

demo:  ## services up, the pipeline running, a marketplace day posted, balances shown
	@bash deploy/scripts/demo.sh

up:    ## services and pipeline in the background; settings in .local/env
	@bash deploy/scripts/up.sh

down:  ## stop the pipeline and the services
	@bash deploy/scripts/down.sh

test:  ## the whole suite against real Kafka and PostgreSQL
	@bash deploy/scripts/test.sh

unit:  ## the pure domain tests only (no services)
	@bash deploy/scripts/env.sh && .venv/bin/python -m pytest tests/unit

bench: ## posting throughput vs a one-event-per-transaction baseline
	@bash deploy/scripts/bench.sh $(ARGS)

clean: down
	rm -rf .local

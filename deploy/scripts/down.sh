#!/usr/bin/env bash
# make down: the pipeline, then Kafka and PostgreSQL.
source "$(dirname "$0")/lib.sh"
bash "$ROOT/deploy/scripts/pipeline.sh" stop
bash "$ROOT/deploy/scripts/services.sh" down

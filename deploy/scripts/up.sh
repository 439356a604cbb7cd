#!/usr/bin/env bash
# make up: services and the pipeline in the background; connection settings in .local/env.
source "$(dirname "$0")/lib.sh"
bash "$ROOT/deploy/scripts/env.sh"
bash "$ROOT/deploy/scripts/services.sh" up
bash "$ROOT/deploy/scripts/pipeline.sh" start
say "up. 'source .local/env' to use the same stack; 'make down' stops everything."

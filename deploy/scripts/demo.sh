#!/usr/bin/env bash
# The main job end to end: services up, the pipeline running, a marketplace day
# published by the simulated storefront, everything posted and projected, balances shown.
source "$(dirname "$0")/lib.sh"
DAY="${DEMO_DATE:-$(date -u +%F)}"
ORDERS="${DEMO_ORDERS:-2500}"
SELLERS="${DEMO_SELLERS:-60}"
SPLITBOOK="$ROOT/.venv/bin/splitbook"

bash "$ROOT/deploy/scripts/env.sh"
bash "$ROOT/deploy/scripts/services.sh" up
# the demo drives the release scheduler itself (as of a day in the past), so it is not started here
SPLITBOOK_WORKERS="post relay project api" bash "$ROOT/deploy/scripts/pipeline.sh" start
trap 'bash "$ROOT/deploy/scripts/pipeline.sh" stop' EXIT
set -a; source "$LOCAL/env"; set +a

say "storefront: a marketplace month, $ORDERS orders a day from $SELLERS sellers, ending $DAY"
# the marketplace's bank is a Brazilian one: BRL payout batches go out in CNAB 240 (PIX and TED)
SPLITBOOK_PAYOUT_CNAB240_CURRENCIES="${SPLITBOOK_PAYOUT_CNAB240_CURRENCIES-BRL}" \
  "$SPLITBOOK" --log-level warning story --date "$DAY" --orders "$ORDERS" --sellers "$SELLERS"
"$SPLITBOOK" --log-level warning report
echo
say "sales by category and region (the analysts' views: sales_facts, sales_daily; splitbook sales --by ...)"
"$SPLITBOOK" --log-level warning sales --by category,region --currency BRL
echo
say "verify: the hash chain, every invariant, every read model against the journal"
"$SPLITBOOK" --log-level warning verify
echo
say "the general ledger: what was recorded today, as journal entries by GL account (services/closing/gl_mapping.toml)"
"$SPLITBOOK" --log-level warning gl export --date "$(date -u +%F)"
echo
echo
# an admin for the demo (names are not reused: one per run), and where the console is
ADMIN="demo-admin-$(date -u +%Y%m%d%H%M%S)"
TOKEN="$("$SPLITBOOK" --log-level warning operators add "$ADMIN" --role admin --as-server | tail -1)"
trap - EXIT   # the pipeline and the API stay up for the console
say "the ops console: $SPLITBOOK_API_URL/  (log in as $ADMIN with the token below; API: $SPLITBOOK_API_URL/docs)"
echo "$TOKEN"
say "done. Services, pipeline and API stay up (psql \"\$DATABASE_URL\" after 'source .local/env'); 'make down' stops them."

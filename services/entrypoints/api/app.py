"""The HTTP API under /api/v1 (FastAPI on pydantic; OpenAPI at /openapi.json) and the
health probe. Every call but /healthz carries `Authorization: Bearer <token>`: the token
names the operator, the operator's role decides (401 without a valid token, 403 beyond
the role). Reads come from the read models, saying the journal sequence they reflect
(`as_of_seq`), or from the journal; writes go through the same commands as the CLI —
nothing here writes the journal."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Annotated

import psycopg
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry, make_asgi_app
from pydantic import BaseModel, Field

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import db, queries, reporting
from services.closing import close as closing
from services.controls import adjustments, exceptions_queue, operators
from services.controls.operators import Operator
from services.domain.bounds import printable
from services.domain.errors import ConfigError, Forbidden, NotFound, Rejected, SplitbookError, Unauthenticated
from services.entrypoints import bootstrap
from services.entrypoints.api.console import register_console
from services.entrypoints.settings import Settings
from services.runtime import progress
from services.runtime.metrics import PipelineCollector
from services.statements import reports, statement

PAGE_MAX = 1000
ERROR_MAX_CHARS = 300  # an error names what was refused; a 10 kB id comes back cut, not whole
SEQ_MAX = 2**63 - 1
ERRORS = {code: {"description": what, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"}, "reason_code": {"type": "string"}},
    "required": ["error"]}}}} for code, what in (
    (400, "a request the ledger cannot take (one line says why)"), (401, "no token, or an unknown or revoked one"),
    (403, "the operator's role does not allow it"), (404, "no such thing"),
    (409, "it conflicts with what the ledger holds"), (422, "a rule refused it (reason_code says which)"),
    (503, "PostgreSQL or Kafka does not answer"))}


class Assign(BaseModel):
    to: str = Field(min_length=1, max_length=64, description="who works it")


class Resolve(BaseModel):
    note: str = Field(min_length=1, max_length=1000)
    write_off: bool = False
    transaction_id: str | None = Field(None, description="the correcting journal transaction, if one was needed")


class Refuse(BaseModel):
    note: str = Field(min_length=1, max_length=1000, description="why it will not be posted")


class PostingIn(BaseModel):
    account: str = Field(min_length=1, max_length=300)
    amount: int = Field(description="minor units: + debit, - credit")


class Propose(BaseModel):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    postings: list[PostingIn] = Field(min_length=2, max_length=50)
    reason_code: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=1000)
    exception_id: int | None = None


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Splitbook", version="1", description=__doc__, responses=ERRORS,
                  openapi_tags=[{"name": "balances"}, {"name": "journal"}, {"name": "payouts"},
                                {"name": "exceptions"}, {"name": "adjustments"}, {"name": "books"}])
    state: dict = {}
    metrics_registry = CollectorRegistry()
    metrics_registry.register(PipelineCollector(settings))
    app.mount("/metrics", make_asgi_app(metrics_registry))

    @contextlib.contextmanager
    def connection() -> Iterator[psycopg.Connection]:
        with db.connect(settings.database_url, role="splitbook_operator", application_name="splitbook-api") as c:
            yield c

    def producer():
        if "producer" not in state:
            state["producer"] = bootstrap.producer(settings)
        return state["producer"]

    def acting(action: str):
        def dependency(authorization: Annotated[str | None, Header()] = None) -> Operator:
            scheme, _, token = (authorization or "").partition(" ")
            with connection() as conn:
                return operators.acting(conn, token.strip() if scheme.lower() == "bearer" else None, action)
        return Depends(dependency)

    reader = acting("read")
    console_refusal = register_console(app, settings, connection, producer)

    @app.exception_handler(psycopg.DataError)
    async def unusable(request: Request, e: psycopg.DataError) -> JSONResponse:
        return JSONResponse({"error": printable(f"a value the ledger cannot take: {str(e).splitlines()[0]}",
                                                ERROR_MAX_CHARS)}, status_code=400)

    @app.exception_handler(psycopg.IntegrityError)
    async def conflict(request: Request, e: psycopg.IntegrityError) -> JSONResponse:
        return JSONResponse({"error": printable(f"conflicts with the ledger: {str(e).splitlines()[0]}",
                                                ERROR_MAX_CHARS)}, status_code=409)

    @app.exception_handler(SplitbookError)
    async def refused(request: Request, e: SplitbookError) -> Response:
        page = console_refusal(request, e)
        if page is not None:
            return page
        status = (401 if isinstance(e, Unauthenticated) else 403 if isinstance(e, Forbidden)
                  else 404 if isinstance(e, NotFound) else 422 if isinstance(e, Rejected)
                  else 400 if isinstance(e, ConfigError) else 503)
        body = {"error": printable(str(e) if not isinstance(e, Rejected) else e.detail, ERROR_MAX_CHARS)}
        if isinstance(e, Rejected):
            body["reason_code"] = e.reason.value
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)

    @app.get("/healthz", tags=["books"])
    def healthz() -> JSONResponse:
        """Whether PostgreSQL and Kafka answer, and how far the pipeline lags."""
        out: dict = {"postgres": False, "kafka": False}
        try:
            with connection() as conn:
                out["postgres"] = True
                lag = progress.lag(settings, conn, timeout_s=3)
                out.update(kafka=True, unposted=lag.unposted, unrelayed=lag.unrelayed, unprojected=lag.unprojected)
        except SplitbookError as e:
            out["error"] = str(e)
        return JSONResponse(out, status_code=200 if out["postgres"] and out["kafka"] else 503)

    @app.get("/api/v1/sellers/{seller_id}/balances", tags=["balances"])
    def seller_balances(seller_id: str, op: Operator = reader) -> dict:
        """A seller's escrow, on hold, payable, in flight and paid out, per currency."""
        with connection() as conn:
            rows = queries.seller_balances(conn, seller_id)
            if not rows:
                raise NotFound(f"no balances for seller {seller_id}")
            return {"seller_id": seller_id, "as_of_seq": max(r["as_of_seq"] for r in rows), "balances": rows}

    @app.get("/api/v1/sellers/{seller_id}/statement", tags=["balances"], response_model=None)
    def seller_statement(seller_id: str, start: Annotated[date, Query(alias="from")],
                         end: Annotated[date, Query(alias="to")], currency: str | None = None,
                         format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
                         op: Operator = reader) -> dict | PlainTextResponse:
        """Opening balance, every movement with a running balance, closing balance."""
        if end < start:
            raise ConfigError("'to' is before 'from'")
        if not (1970 <= start.year <= 9000 and 1970 <= end.year <= 9000):
            raise ConfigError("a statement covers days between 1970 and 9000")
        with connection() as conn:
            if format == "csv":
                text, _ = statement.render(conn, seller_id, start, end, currency, "csv")
                return PlainTextResponse(text, media_type="text/csv")
            return {"seller_id": seller_id, "from": start, "to": end,
                    "currencies": statement.periods(conn, seller_id, start, end, currency)}

    @app.get("/api/v1/reports/sales", tags=["balances"])
    def sales_report(by: Annotated[str, Query(max_length=200, description="comma-separated: seller, category,"
                                                                          " channel, region, sale_date,"
                                                                          " settlement_date")] = "category",
                     start: Annotated[date | None, Query(alias="from", description="first sale date")] = None,
                     end: Annotated[date | None, Query(alias="to", description="last sale date")] = None,
                     currency: Annotated[str | None, Query(pattern="^[A-Z]{3}$")] = None,
                     op: Operator = reader) -> dict:
        """Gross sales, refunds, net sales, net platform fees and take rate (bp) rolled up by
        the dimensions asked for, from the analysts' views (sales_daily)."""
        dims = reports.sales_dimensions(by)
        if dims is None:
            raise ConfigError(f"by {by!r}: dimensions are {reports.DIMENSION_NAMES}")
        with connection() as conn:
            rows = reporting.sales_by(conn, dims, start, end, currency)
        keys = [*dims, *reporting.SALES_MEASURES]
        return {"by": dims, "from": start, "to": end,
                "rows": [{k: (float(v) if k == "take_rate_bp" and v is not None else v) for k, v in zip(keys, r)}
                         for r in rows]}

    @app.get("/api/v1/orders/{order_id}", tags=["balances"])
    def order(order_id: str, op: Operator = reader) -> dict:
        """An order's escrow and its journal transactions."""
        with connection() as conn:
            escrow = queries.order_escrow(conn, order_id)
            transactions = queries.order_transactions(conn, order_id)
        if escrow is None and not transactions:
            raise NotFound(f"no order {order_id} in the ledger")
        return {"order_id": order_id, "escrow": escrow, "transactions": transactions}

    @app.get("/api/v1/accounts", tags=["balances"])
    def accounts(as_of: str | None = Query(None, description="a journal sequence, or a time (ISO 8601)"),
                 prefix: str | None = Query(None, description="accounts starting with this, e.g. seller:S_1:"),
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000, op: Operator = reader) -> dict:
        """Account balances (debits positive) at a point of the journal, computed from it."""
        with connection() as conn:
            if as_of is None:
                seq = queries.last_seq_at(conn, datetime.now(timezone.utc))
            elif as_of.isascii() and as_of.isdigit():
                seq = min(int(as_of), SEQ_MAX)
            else:
                try:
                    at = datetime.fromisoformat(as_of)
                except ValueError:
                    raise ConfigError(f"as_of {as_of!r} is neither a journal sequence nor a time") from None
                seq = queries.last_seq_at(conn, at if at.tzinfo else at.replace(tzinfo=timezone.utc))
            return {"as_of_seq": seq, "accounts": queries.account_balances(conn, seq, prefix, limit)}

    @app.get("/api/v1/journal", tags=["journal"])
    def journal(after: Annotated[int, Query(ge=0, le=SEQ_MAX, description="the cursor: the last seq you have")] = 0,
                limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100, op: Operator = reader) -> dict:
        """The journal in sequence order, a page at a time."""
        with connection() as conn:
            rows = queries.journal_page(conn, after, limit)
        return {"transactions": rows, "next": rows[-1]["seq"] if len(rows) == limit else None}

    @app.get("/api/v1/payouts/batches", tags=["payouts"])
    def batches(limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100, op: Operator = reader) -> dict:
        with connection() as conn:
            return {"batches": queries.payout_batches(conn, limit)}

    @app.get("/api/v1/payouts/batches/{batch_id}", tags=["payouts"])
    def batch(batch_id: str, op: Operator = reader) -> dict:
        with connection() as conn:
            found, lines = queries.payout_batch(conn, batch_id)
        if found is None:
            raise NotFound(f"no payout batch {batch_id}")
        return {**found, "lines": lines}

    @app.get("/api/v1/exceptions", tags=["exceptions"])
    def exceptions(status: Annotated[str | None, Query(pattern="^(open|assigned|resolved|written_off)$")] = None,
                   reason: str | None = None, after: Annotated[int, Query(ge=0, le=SEQ_MAX)] = 0,
                   limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100, op: Operator = reader) -> dict:
        """The exceptions queue, oldest first, a page at a time."""
        with connection() as conn:
            rows = queries.exceptions(conn, status, reason, after, limit)
        return {"exceptions": rows, "next": rows[-1]["exception_id"] if len(rows) == limit else None}

    @app.post("/api/v1/exceptions/{exception_id}/assign", tags=["exceptions"])
    def assign(exception_id: int, body: Assign, op: Operator = acting("exceptions.assign")) -> dict:
        with connection() as conn:
            exceptions_queue.assign(conn, exception_id, body.to, op.name)
        return {"exception_id": exception_id, "status": "assigned", "assignee": body.to, "by": op.name}

    @app.post("/api/v1/exceptions/{exception_id}/resolve", tags=["exceptions"])
    def resolve(exception_id: int, body: Resolve, op: Operator = acting("exceptions.resolve")) -> dict:
        with connection() as conn:
            exceptions_queue.resolve(conn, exception_id, op.name, body.note, body.write_off, body.transaction_id)
        return {"exception_id": exception_id, "status": "written_off" if body.write_off else "resolved", "by": op.name}

    @app.get("/api/v1/adjustments", tags=["adjustments"])
    def adjustments_list(status: Annotated[str | None, Query(pattern="^(pending|approved|refused)$")] = None,
                         op: Operator = reader) -> dict:
        with connection() as conn:
            return {"adjustments": queries.adjustments(conn, status)}

    @app.post("/api/v1/adjustments", tags=["adjustments"], status_code=201)
    def propose(body: Propose, op: Operator = acting("adjustments.propose")) -> dict:
        """Propose a balanced adjustment; an approver who is not you submits it."""
        with connection() as conn:
            adjustment_id = adjustments.propose(conn, op.name, body.reason_code, body.reason, body.currency,
                                                [(p.account, p.amount) for p in body.postings],
                                                settings.two_approvals_above_minor, body.exception_id)
        return {"adjustment_id": adjustment_id, "status": "pending", "proposer": op.name}

    @app.post("/api/v1/adjustments/{adjustment_id}/approve", tags=["adjustments"])
    def approve(adjustment_id: str, op: Operator = acting("adjustments.approve")) -> dict:
        """Approve (never your own): submitted to the ledger once enough approvers agree."""
        with connection() as conn:
            outcome = adjustments.approve(settings, conn, producer(), SchemaRegistry.from_dir(), adjustment_id,
                                          op.name, datetime.now(timezone.utc))
        return {"adjustment_id": adjustment_id, "outcome": outcome, "by": op.name}

    @app.post("/api/v1/adjustments/{adjustment_id}/refuse", tags=["adjustments"])
    def refuse(adjustment_id: str, body: Refuse, op: Operator = acting("adjustments.refuse")) -> dict:
        """Turn a pending adjustment down, with a note: it is never posted."""
        with connection() as conn:
            adjustments.refuse(conn, adjustment_id, op.name, body.note)
        return {"adjustment_id": adjustment_id, "status": "refused", "by": op.name}

    @app.get("/api/v1/close/{day}", tags=["books"])
    def close_report(day: date, op: Operator = reader) -> dict:
        """The day's close: opening and closing trial balance, movements, exceptions."""
        if not 1970 <= day.year <= 9000:
            raise ConfigError(f"{day} is outside the ledger's dates")
        with connection() as conn:
            return closing.compute(conn, day)

    @app.get("/api/v1/dashboard", tags=["books"])
    def dashboard(op: Operator = reader) -> dict:
        with connection() as conn:
            return queries.dashboard(conn)

    return app

"""The ops console: server-rendered pages (Jinja2) on the same process as the API, for
the finance and support people. Log in with an operator token (kept in an HttpOnly,
SameSite=Strict cookie); every page and every button acts as that operator with the
same role checks and the same commands as the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.adapters.avro import SchemaRegistry
from services.adapters.postgres import queries, reporting
from services.closing import close as closing
from services.controls import adjustments, exceptions_queue, operators
from services.controls.operators import Operator
from services.domain.errors import ConfigError, Forbidden, Rejected, SplitbookError, Unauthenticated
from services.domain.money import format_minor
from services.entrypoints.settings import Settings
from services.runtime import progress
from services.statements import reports

COOKIE = "splitbook_token"
PAGE = 50
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "none"
    minutes = int(seconds // 60)
    return f"{minutes // 1440} d {minutes % 1440 // 60} h" if minutes >= 1440 else f"{minutes // 60} h {minutes % 60} min"


templates.env.globals.update(money=lambda v, cur: format_minor(int(v or 0), cur), age=_age)


def register_console(app: FastAPI, settings: Settings, connection: Callable,
                     producer: Callable) -> Callable[[Request, SplitbookError], Response | None]:
    """The console's pages on app; returns how a console page answers a refused operator."""

    def page(request: Request, name: str, op: Operator | None, http_status: int = 200, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"operator": op, "flash": request.query_params.get("done"),
                                                          "flash_error": request.query_params.get("failed") == "1",
                                                          **context}, status_code=http_status)

    def who(request: Request, action: str = "read") -> Operator:
        with connection() as conn:
            return operators.acting(conn, request.cookies.get(COOKIE), action)

    def back(path: str, message: str, failed: bool = False) -> RedirectResponse:
        return RedirectResponse(f"{path}{'&' if '?' in path else '?'}done={quote(message)}{'&failed=1' if failed else ''}",
                                status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> Response:
        try:
            who(request)
        except Unauthenticated:
            return page(request, "login.html", None, title="Log in")
        return RedirectResponse("/console", status_code=303)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(...)) -> Response:
        try:
            with connection() as conn:
                operators.authenticate(conn, token)
        except Unauthenticated as e:
            return page(request, "login.html", None, http_status=401, title="Log in", flash=str(e), flash_error=True)
        response = RedirectResponse("/console", status_code=303)
        response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict", max_age=12 * 3600)
        return response

    @app.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/console", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> Response:
        op = who(request)
        with connection() as conn:
            d = queries.dashboard(conn)
            try:
                lag = progress.lag(settings, conn, timeout_s=2)
                lag_text = f"{lag.unposted} · {lag.unrelayed} · {lag.unprojected}"
            except SplitbookError:
                lag_text = "Kafka unreachable"
        return page(request, "dashboard.html", op, title="Dashboard", active="Dashboard", d=d, lag=lag_text)

    @app.get("/console/exceptions", response_class=HTMLResponse, include_in_schema=False)
    def exceptions(request: Request, status: str = "", reason: str = "", after: int = 0) -> Response:
        op = who(request)
        if status not in ("", "open", "assigned", "resolved", "written_off"):
            raise ConfigError(f"no status {status!r}")
        with connection() as conn:
            rows = queries.exceptions(conn, status or None, reason or None, after, PAGE)
        return page(request, "exceptions.html", op, title="Exceptions", active="Exceptions", rows=rows,
                    status=status, reason=reason, next=rows[-1]["exception_id"] if len(rows) == PAGE else None)

    def act(request: Request, action: str, path: str, do: Callable[[object, Operator], str]) -> Response:
        """A button: as the logged-in operator allowed to take action, do it, and go back to
        path saying what happened (or, in one line, why not)."""
        op = who(request, action)
        try:
            with connection() as conn:
                said = do(conn, op)
        except (ConfigError, Rejected) as e:
            return back(path, str(e), failed=True)
        return back(path, said)

    @app.post("/console/exceptions/{exception_id}/assign", include_in_schema=False)
    def assign(request: Request, exception_id: int, to: str = Form(...)) -> Response:
        def do(conn, op):
            exceptions_queue.assign(conn, exception_id, to.strip()[:64], op.name)
            return f"exception {exception_id} assigned to {to.strip()[:64]}"
        return act(request, "exceptions.assign", "/console/exceptions", do)

    @app.post("/console/exceptions/{exception_id}/resolve", include_in_schema=False)
    def resolve(request: Request, exception_id: int, note: str = Form(...)) -> Response:
        def do(conn, op):
            exceptions_queue.resolve(conn, exception_id, op.name, note.strip()[:1000])
            return f"exception {exception_id} resolved by {op.name}"
        return act(request, "exceptions.resolve", "/console/exceptions", do)

    @app.get("/console/adjustments", response_class=HTMLResponse, include_in_schema=False)
    def adjustments_page(request: Request) -> Response:
        op = who(request)
        with connection() as conn:
            rows = queries.adjustments(conn, None)
        rows.sort(key=lambda a: (a["status"] != "pending", a["created_at"]))
        return page(request, "adjustments.html", op, title="Adjustments", active="Adjustments", rows=rows)

    @app.post("/console/adjustments/{adjustment_id}/approve", include_in_schema=False)
    def approve(request: Request, adjustment_id: str) -> Response:
        def do(conn, op):
            outcome = adjustments.approve(settings, conn, producer(), SchemaRegistry.from_dir(), adjustment_id,
                                          op.name, datetime.now(timezone.utc))
            return adjustment_id + {"approved": " approved: submitted to the ledger",
                                    "waiting": " approved: needs another approver",
                                    "repeated": ": you had already approved it"}[outcome]
        return act(request, "adjustments.approve", "/console/adjustments", do)

    @app.post("/console/adjustments/{adjustment_id}/refuse", include_in_schema=False)
    def refuse(request: Request, adjustment_id: str, note: str = Form(...)) -> Response:
        def do(conn, op):
            adjustments.refuse(conn, adjustment_id, op.name, note)
            return f"{adjustment_id} refused by {op.name}: it will not be posted"
        return act(request, "adjustments.refuse", "/console/adjustments", do)

    @app.get("/console/payouts", response_class=HTMLResponse, include_in_schema=False)
    def payouts(request: Request) -> Response:
        op = who(request)
        with connection() as conn:
            rows = queries.payout_batches(conn, 200)
        return page(request, "payouts.html", op, title="Payouts", active="Payouts", rows=rows)

    @app.get("/console/payouts/{batch_id}", response_class=HTMLResponse, include_in_schema=False)
    def batch(request: Request, batch_id: str) -> Response:
        op = who(request)
        with connection() as conn:
            found, lines = queries.payout_batch(conn, batch_id)
        if found is None:
            return page(request, "payouts.html", op, http_status=404, title="Payouts", active="Payouts", rows=[],
                        flash=f"no payout batch {batch_id}", flash_error=True)
        return page(request, "batch.html", op, title=batch_id, active="Payouts", b=found, lines=lines)

    @app.get("/console/sellers", response_class=HTMLResponse, include_in_schema=False)
    def sellers(request: Request, seller_id: str = "") -> Response:
        op = who(request)
        end = _day(request.query_params.get("to")) or datetime.now(timezone.utc).date()
        start = _day(request.query_params.get("from")) or end - timedelta(days=30)
        balances, statement = [], {}
        if seller_id:
            from services.statements.statement import periods

            with connection() as conn:
                balances = queries.seller_balances(conn, seller_id)
                statement = periods(conn, seller_id, start, end, None)
        return page(request, "seller.html", op, title="Sellers", active="Sellers", seller_id=seller_id,
                    balances=balances, statement=statement, start=start, end=end)

    sales_views = ("category,region", "category", "region", "channel", "seller", "settlement_date")

    @app.get("/console/sales", response_class=HTMLResponse, include_in_schema=False)
    def sales(request: Request, by: str = "category,region") -> Response:
        op = who(request)
        end = _day(request.query_params.get("to")) or datetime.now(timezone.utc).date()
        start = _day(request.query_params.get("from")) or end - timedelta(days=60)
        by = by if by in sales_views else sales_views[0]
        dims = reports.sales_dimensions(by)
        with connection() as conn:
            rows = reporting.sales_by(conn, dims, start, end, None)
        return page(request, "sales.html", op, title="Sales", active="Sales", rows=rows, dims=len(dims),
                    headers=[*reports.sales_headers(dims)[:-1], "take rate"], by=by,  # (shown in %) start=start, end=end,
                    choices=[(k, k.replace(",", " and ").replace("_", " ")) for k in sales_views])

    @app.get("/console/close", response_class=HTMLResponse, include_in_schema=False)
    def close_page(request: Request) -> Response:
        op = who(request)
        day = _day(request.query_params.get("date")) or datetime.now(timezone.utc).date()
        with connection() as conn:
            c = closing.compute(conn, day)
        return page(request, "close.html", op, title=f"Close {day}", active="Close", c=c)

    def refusal(request: Request, e: SplitbookError) -> Response | None:
        """How a console page answers a refused operator: no or a bad token, back to the log-in
        page; a role without the right, back where they came from, saying so. None: not a
        console page (the API answers it)."""
        if not request.url.path.startswith("/console"):
            return None
        if isinstance(e, Unauthenticated):
            return RedirectResponse("/", status_code=303)
        if isinstance(e, Forbidden):
            return back(request.headers.get("referer", "/console").split("?")[0] or "/console", str(e), failed=True)
        return None

    return refusal


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None

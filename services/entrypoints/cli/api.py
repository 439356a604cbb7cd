"""splitbook api: the HTTP API and the ops console, served by uvicorn."""

from __future__ import annotations

from urllib.parse import urlparse

from services.entrypoints.cli.args import positive
from services.entrypoints.settings import Settings


def register(sub) -> None:
    sp = sub.add_parser("api", help="serve the HTTP API (/api/v1, /openapi.json, /healthz)")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=positive, default=None, help="default: SPLITBOOK_API_URL's port, else 8400")
    sp.set_defaults(handler=serve)


def serve(args) -> int:
    import uvicorn

    from services.entrypoints.api.app import create_app

    settings = Settings.from_env()
    port = args.port or urlparse(settings.api_url).port or 8400
    uvicorn.run(create_app(settings), host=args.host, port=port, log_level="warning", access_log=False)
    return 0

"""The HTTP API and the ops console (one ASGI app, served by uvicorn)."""

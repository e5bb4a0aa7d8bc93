"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from adapters.sqlmodel.setup import listen_url, postgres_connect_args
from entrypoints.container import Container
from entrypoints.embedded import prepare
from entrypoints.housekeeping import purge_periodically
from entrypoints.http import accounts, compat, health, lists, sync, tags, tasks
from entrypoints.http.auth import document_security
from entrypoints.http.compat.shapes import ListShape
from entrypoints.http.dependencies import check_provided, providers_by_type
from entrypoints.http.docs import install_docs
from entrypoints.http.errors import install_error_handlers
from entrypoints.http.middleware import RequestContextMiddleware
from entrypoints.http.problems import Problem, problem_responses
from entrypoints.http.query import document_query_models, refusing_unknown_parameters
from entrypoints.mcp.http import install_mcp
from entrypoints.observability import configure_logging
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from adapters.sqlmodel.notifications import ChangeNotifications

API_VERSION = "1.0.0"


def create_app(settings: Settings) -> FastAPI:
    container = Container(settings=prepare(settings))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        database = container.adapters.database()  # made at start-up, never at import
        notifications = _live_updates(container, settings)
        # Everything made so far (modules, the app, the container) lives as long as the process:
        # out of the collector's sight, a full collection under load is short, and so is the tail.
        gc.freeze()
        housekeeping = None
        if settings.purge_interval_seconds:
            purge = container.use_cases.purge_expired()
            housekeeping = asyncio.create_task(purge_periodically(purge, settings.purge_interval_seconds))
        try:
            yield
        finally:
            if housekeeping is not None:
                housekeeping.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await housekeeping
            await mcp.close()
            if notifications is not None:
                await notifications.close()
            jwks = container.adapters.jwks()
            if jwks is not None:
                await jwks.aclose()
            await database.close()

    app = FastAPI(
        title="tasks-service",
        version=API_VERSION,
        summary="Every user's own task list, over HTTP.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, from local assets
        redoc_url=None,
        redirect_slashes=False,  # a trailing slash is taken off instead (RequestContextMiddleware)
    )
    app.state.container = container
    app.state.providers = providers_by_type(container)
    app.state.compat_list_shape = ListShape(settings.compat_list_shape)
    install_error_handlers(app)
    install_docs(app)
    # Local accounts need a secret to sign with.
    local_accounts = [accounts.accounts] if container.adapters.tokens() is not None else []
    # The busiest routes first: each request is matched against the routes in order. Compat after
    # v1 (/api/v1/tasks is no user "v1"). tasks.py orders its own fixed paths before /{task_id}.
    routers = [tasks.router, lists.router, tags.router, sync.router, *local_accounts, accounts.me]
    for router in [*routers, *compat.routers, health.router]:
        _serve(app, router)
    check_provided(app.routes, app.state.providers)
    mcp = install_mcp(app, container, settings, API_VERSION)
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.http_max_body_bytes,
        max_header_bytes=settings.http_max_header_bytes,
    )
    if settings.http_trusted_proxies:
        # The client's address (what login and registration attempts count against) and scheme, as
        # a trusted proxy forwarded them; from any other peer, X-Forwarded-* is ignored.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.http_trusted_proxies)
    if settings.cors_origins:  # added last, so outermost: even a 500 answer gets its CORS headers
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=settings.cors_allow_credentials,  # never with "*" (settings.py)
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _live_updates(container: Container, settings: Settings) -> ChangeNotifications | None:
    """Wake this process's live streams on its own commits; on PostgreSQL, also on every process's,
    told by the change log's notifications on a connection that can LISTEN (None: streams poll)."""
    streams = container.adapters.live_streams()
    container.adapters.database().commit_listeners.append(streams.changed)
    url = listen_url(settings.database_url, settings.database_url_direct, settings.database_pooler)
    if url is None:
        return None
    from adapters.sqlmodel.notifications import ChangeNotifications  # noqa: PLC0415 (asyncpg: when used)

    connect_args = postgres_connect_args(url, settings.database_connect_timeout_seconds)
    notifications = ChangeNotifications(connect_args, streams.changed, streams.resumed)
    streams.notifications = notifications  # listened for while a stream is open
    return notifications


def _serve(app: FastAPI, router: APIRouter) -> None:
    """Put a router's routes on the app itself. Each route is complete as its router declared it
    (prefix, tags, responses, dependencies); `include_router` would keep the router as a nested
    route that every request is matched through twice, for settings given at inclusion, which
    these routers do not use. The /api/v1 routes refuse query parameters they do not take (but
    a 405 answers a method the path lacks, whatever its parameters)."""
    for route in router.routes:
        refuses_the_method = hasattr(getattr(route, "endpoint", None), "allowed")
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1/") and not refuses_the_method:
            refusing_unknown_parameters(route)
    app.router.routes.extend(router.routes)


def build_app() -> FastAPI:
    """Entry for `uvicorn --factory`: settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def _document_unsupported_media_types(schema: dict[str, Any]) -> None:
    """Every operation that reads a body answers 415 to a body of another media type (errors.py)."""
    unsupported = problem_responses(415)[415]
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault("415", unsupported)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the Problem document that every error answer refers to."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        definitions = problem_schema.pop("$defs", {})
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(definitions)
        schemas["Problem"] = problem_schema
        document_query_models(schema, app.routes)
        document_security(schema, app.routes)
        _document_unsupported_media_types(schema)
        app.openapi_schema = schema
    return app.openapi_schema

"""The compatibility routes: what clients written to the common todo full-stack spec call."""

from entrypoints.http.compat.routes import routers

__all__ = ["routers"]

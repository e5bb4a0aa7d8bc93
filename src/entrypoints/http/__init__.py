"""The HTTP API: app factory, routers, schemas, problem answers, middleware."""

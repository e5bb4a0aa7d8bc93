"""Query parameters read as one model in one validation. FastAPI reads a query model field by field,
in Python, on every request; here the parameters go to pydantic at once, and the OpenAPI document
shows them exactly as FastAPI would have (`document_query_models`)."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import AliasChoices, BaseModel, ValidationError
from starlette.types import Receive, Scope, Send

from entrypoints.http.problems import invalid_request_detail, problem

M = TypeVar("M", bound=BaseModel)
QueryReader = Callable[[Request], Awaitable[Any]]
_MODELS: dict[QueryReader, type[BaseModel]] = {}
_CHECKED: dict[int, Any] = {}  # route id -> its checking app


def query_model(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency that reads the request's query string as `model`: a field whose type is a list
    takes every value of its parameter, any other field the last one, as FastAPI reads them.
    Invalid parameters are the 422 FastAPI gives, located at ("query", <name>)."""
    repeatable = {
        spelling
        for name, field in model.model_fields.items()
        if _is_list(field.annotation)
        for spelling in _spellings(name, field.validation_alias)
    }

    async def read(request: Request) -> M:
        parameters = request.query_params
        values: dict[str, Any] = dict(parameters)
        for name in repeatable & values.keys():
            values[name] = parameters.getlist(name)
        try:
            return model.model_validate(values)
        except ValidationError as error:
            errors = error.errors(include_url=False)
            raise RequestValidationError([{**e, "loc": ("query", *e["loc"])} for e in errors]) from None

    _MODELS[read] = model
    return read


def refusing_unknown_parameters(route: APIRoute) -> None:
    """Make the route answer a 422 naming any query parameter it does not take (`?status=done`
    on the list would otherwise list everything, silently), or that it takes once and was given
    more than once (of `?q=a&q=b` only the last would count). Checked before the route runs, and
    only when there is a query string. Routes are module-level objects, shared by every app built:
    each is wrapped once."""
    if route.app is _CHECKED.get(id(route)):
        return
    known: set[str] = set()
    repeatable: set[str] = set()
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        for parameter in dependant.query_params:
            known.add(parameter.alias)
            if _is_list(parameter.field_info.annotation):
                repeatable.add(parameter.alias)
        model = _MODELS.get(dependant.call) if dependant.call is not None else None
        if model is not None:
            known.update(model.model_fields)
            fields = model.model_fields.items()
            repeatable.update(name for name, field in fields if _is_list(field.annotation))
        pending.extend(dependant.dependencies)
    allowed, once = frozenset(known), frozenset(known - repeatable)
    run = route.app

    async def checked(scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if query:
            names = [name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)]
            errors = [
                {"loc": ["query", name], "msg": "is not a parameter of this route", "type": "extra_forbidden"}
                for name in dict.fromkeys(names)
                if name not in allowed
            ]
            if len(names) > 1:
                counts = Counter(names)
                errors += [
                    {"loc": ["query", name], "msg": "must be given at most once", "type": "repeated"}
                    for name, count in counts.items()
                    if count > 1 and name in once
                ]
            if errors:
                await problem(422, invalid_request_detail(errors), errors=errors)(scope, receive, send)
                return
        await run(scope, receive, send)

    route.app = _CHECKED[id(route)] = checked


def document_query_models(schema: dict[str, Any], routes: list[Any]) -> None:
    """Give each operation that reads a query model the parameters FastAPI itself documents for
    that model (taken from FastAPI's schema of a route that declares it), and the components
    they refer to."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for route in routes:
        if not (isinstance(route, APIRoute) and route.include_in_schema):
            continue
        readers = [d.call for d in route.dependant.dependencies if d.call in _MODELS]
        for reader in readers:
            parameters, referred = _documented(_MODELS[reader])
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    operation["parameters"] = [*parameters, *operation.get("parameters", [])]
            for name in _referred(parameters, referred):
                components.setdefault(name, referred[name])


def _documented(model: type[BaseModel]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    def declares(**_: Any) -> None: ...

    declared = Annotated[model, Query()]  # type: ignore[valid-type]
    parameter = inspect.Parameter("query", inspect.Parameter.KEYWORD_ONLY, annotation=declared)
    declares.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    probe = get_openapi(title="", version="", routes=[APIRoute("/", declares, methods=["GET"])])
    operation = probe["paths"]["/"]["get"]
    return operation.get("parameters", []), probe.get("components", {}).get("schemas", {})


def _referred(parameters: list[dict[str, Any]], components: dict[str, Any]) -> set[str]:
    """The components the parameters refer to, and those these refer to in turn."""
    found: set[str] = set()
    pending: list[Any] = list(parameters)
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            reference = item.get("$ref")
            if isinstance(reference, str):
                name = reference.rsplit("/", 1)[-1]
                if name not in found:
                    found.add(name)
                    pending.append(components.get(name))
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _spellings(name: str, alias: object) -> list[str]:
    """The parameter names a field is read from: its name, or its alias or alias choices."""
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [alias] if isinstance(alias, str) else [name]


def _is_list(annotation: Any) -> bool:
    while getattr(annotation, "__metadata__", None) is not None:  # Annotated[list[...], ...]
        annotation = annotation.__origin__
    return getattr(annotation, "__origin__", None) is list

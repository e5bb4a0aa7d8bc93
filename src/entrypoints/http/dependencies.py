"""Route dependencies taken from the app's own container, on each request, by the type a route
declares: `Annotated[GetTask, Depends(provided(GetTask))]`. There is no provider name to misspell
(a misspelt class fails mypy), and `check_provided` fails the app's build when a route asks for a
type the container does not provide, or declares one type and asks for another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, TypeVar, cast, get_args, get_origin, get_type_hints

from dependency_injector import providers
from fastapi import Request
from fastapi.params import Depends
from fastapi.routing import APIRoute

from entrypoints.container import Container

T = TypeVar("T")
Providers = dict[type, providers.Provider[Any]]
_PROVIDES: dict[Callable[..., Any], type] = {}  # each dependency `provided` made, and its class


def provided(kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A FastAPI dependency that hands the route this app's `kind` (a use case, or an adapter such as
    the readiness probe), from its container's provider of that class.

    The container lives in `app.state`, not in module-level wiring, so two apps in one process
    never answer from each other's container, and an override on it applies at once. The
    dependency is a coroutine: FastAPI runs a plain `def` dependency in its thread pool, a hand-off
    to another thread and back on every request.
    """

    async def dependency(request: Request) -> T:
        by_type: Providers = request.app.state.providers
        return cast(T, by_type[kind]())

    _PROVIDES[dependency] = kind
    return dependency


def providers_by_type(container: Container) -> Providers:
    """Each class the container makes (its use cases and adapters), with the provider that makes it."""
    found: Providers = {}
    for part in (container.use_cases, container.adapters):
        # The stubs give a Container provider no `providers`; the container it wraps has them.
        made_by: dict[str, providers.Provider[Any]] = getattr(part, "providers")  # noqa: B009
        for provider in made_by.values():
            made = getattr(provider, "cls", None)
            if isinstance(made, type):
                found[made] = provider
    return found


def check_provided(routes: Iterable[Any], by_type: Providers) -> None:
    """Fail now, not on the first request, when a route's dependency names a class the container
    does not make, or a parameter is declared as one class and given another."""
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        for name, annotation in get_type_hints(route.endpoint, include_extras=True).items():
            declared, dependency = _declared(annotation)
            wanted = _PROVIDES.get(dependency) if dependency is not None else None
            if wanted is None:
                continue
            if wanted not in by_type:
                raise LookupError(f"{route.path}: the container provides no {wanted.__name__} for `{name}`")
            if declared is not wanted:
                raise TypeError(f"{route.path}: `{name}` is declared {declared} but given {wanted.__name__}")


def _declared(annotation: Any) -> tuple[Any, Any]:
    """An `Annotated[X, Depends(f)]` parameter's X and f; (None, None) for any other."""
    if get_origin(annotation) is not Annotated:
        return None, None
    declared, *metadata = get_args(annotation)
    dependency = next((item.dependency for item in metadata if isinstance(item, Depends)), None)
    return declared, dependency

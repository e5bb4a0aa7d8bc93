"""Liveness (the process answers) and readiness (the database answers too)."""

from typing import Annotated, Literal

from dependency_injector.wiring import Provide, inject
from fastapi import APIRouter, Depends
from pydantic import BaseModel

from adapters.sqlmodel.health import DatabaseProbe
from entrypoints.container import Container
from entrypoints.http.problems import ProblemResponse, problem, problem_responses

router = APIRouter(prefix="/health", tags=["health"])


class Live(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ok"] = "ok"
    checks: dict[str, Literal["ok"]]


@router.get("/live", response_model=Live)
async def live() -> Live:
    return Live()


@router.get("/ready", response_model=Ready, responses=problem_responses(503))
@inject
async def ready(
    probe: Annotated[DatabaseProbe, Depends(Provide[Container.adapters.database_probe])],
) -> Ready | ProblemResponse:
    if await probe.is_ready():
        return Ready(checks={"database": "ok"})
    return problem(503, "The database is not answering.", checks={"database": "failing"})

"""Liveness (the process answers) and readiness (the database answers too)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from adapters.sqlmodel.health import DatabaseProbe
from entrypoints.http.dependencies import provided
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
async def ready(
    probe: Annotated[DatabaseProbe, Depends(provided(DatabaseProbe))],
) -> Ready | ProblemResponse:
    readiness = await probe.check()
    checks = {"database": readiness.database, "schema": readiness.schema}
    if readiness.ready:
        return Ready(checks={"database": "ok", "schema": "ok"})
    return problem(503, readiness.detail, checks=checks)

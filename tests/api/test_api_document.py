"""docs/api.md documents every operation the app serves, and every status each one declares.

The convention the document follows, and these tests read: each operation has a heading
``### `METHOD /path` `` spelled exactly as the OpenAPI document spells the path, and its section
(up to the next heading of level 3 or above) has a table whose rows start with the statuses it
answers with: ``| 404 | no such task ... |``. A section may serve several operations that answer
alike (the same route in the compatibility families, or under two methods): a line of its own
starting ``Also:`` names the others, each in backticks: ``Also: `GET /api/tasks`, `GET /api/...` ``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from entrypoints.http.app import create_app
from tests.support.app import test_settings

ROOT = Path(__file__).parents[2]
API_DOCUMENT = ROOT / "docs" / "api.md"
README = ROOT / "README.md"

# The OpenAPI operations a client calls; HEAD (every GET answers it) is never listed on its own.
METHODS = ("get", "put", "post", "delete", "patch")
# Served without being part of the API: the documentation pages and their assets.
UNDOCUMENTED_PATHS = re.compile(r"^/(openapi\.json$|docs|redoc)")

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
OPERATION_HEADING = re.compile(r"^`(GET|PUT|POST|DELETE|PATCH) (/\S*)`$")
STATUS_ROW = re.compile(r"^\|\s*(\d{3})\s*\|")
FENCE = re.compile(r"^\s*(```|~~~)")
LOCAL_LINK = re.compile(r"\]\(#([^)]+)\)")
ALSO_LINE = re.compile(r"^Also:\s")
NAMED_OPERATION = re.compile(r"`((?:GET|PUT|POST|DELETE|PATCH) /\S*)`")


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    lines: tuple[str, ...]


def sections(markdown: str) -> list[Section]:
    """The document's headings, each with its lines up to the next heading of the same level or
    above (deeper headings stay inside). Lines in fenced code blocks are never headings."""
    headings: list[tuple[int, int, str]] = []  # (line index, level, title)
    lines = markdown.splitlines()
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match:
            headings.append((index, len(match[1]), match[2]))
    found = []
    for position, (start, level, title) in enumerate(headings):
        end = next((i for i, lvl, _ in headings[position + 1 :] if lvl <= level), len(lines))
        found.append(Section(level, title, tuple(lines[start + 1 : end])))
    return found


def operation_sections(markdown: str) -> dict[str, Section]:
    """The sections whose heading names one operation, by "METHOD /path", and by each operation
    their `Also:` lines name."""
    named = [
        (name, section)
        for section in sections(markdown)
        if section.level == 3 and (match := OPERATION_HEADING.match(section.title))
        for name in [f"{match[1]} {match[2]}", *_also(section)]
    ]
    repeated = [name for name, count in Counter(name for name, _ in named).items() if count > 1]
    assert not repeated, f"operations with more than one section in docs/api.md: {repeated}"
    return dict(named)


def _also(section: Section) -> list[str]:
    return [name for line in section.lines if ALSO_LINE.match(line) for name in NAMED_OPERATION.findall(line)]


def statuses_in(section: Section) -> set[str]:
    return {match[1] for line in section.lines if (match := STATUS_ROW.match(line))}


def slug(title: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    database = tmp_path_factory.mktemp("api-document") / "tasks.db"
    return create_app(test_settings(f"sqlite+aiosqlite:///{database}")).openapi()


@pytest.fixture(scope="module")
def operations(openapi: dict[str, Any]) -> dict[str, set[str]]:
    """Every operation of the OpenAPI document, "METHOD /path", with the statuses it declares."""
    found = {
        f"{method.upper()} {path}": {status for status in operation["responses"] if status.isdigit()}
        for path, path_item in openapi["paths"].items()
        if not UNDOCUMENTED_PATHS.match(path)
        for method, operation in path_item.items()
        if method in METHODS
    }
    assert len(found) >= 20, "the OpenAPI document lost its operations: the test would prove nothing"
    return found


@pytest.fixture(scope="module")
def documented() -> dict[str, Section]:
    return operation_sections(API_DOCUMENT.read_text(encoding="utf-8"))


def test_every_operation_the_app_serves_has_a_section(
    operations: dict[str, set[str]], documented: dict[str, Section]
) -> None:
    missing = sorted(operations.keys() - documented.keys())

    assert not missing, f"operations without a ### `METHOD /path` section in docs/api.md: {missing}"


def test_every_operation_section_names_an_operation_the_app_serves(
    operations: dict[str, set[str]], documented: dict[str, Section]
) -> None:
    stale = sorted(documented.keys() - operations.keys())

    assert not stale, f"docs/api.md documents operations the app does not serve: {stale}"


def test_every_status_an_operation_declares_is_a_row_of_its_section(
    operations: dict[str, set[str]], documented: dict[str, Section]
) -> None:
    undocumented = {
        name: sorted(statuses - statuses_in(documented[name]))
        for name, statuses in sorted(operations.items())
        if name in documented and statuses - statuses_in(documented[name])
    }

    assert not undocumented, f"statuses missing from their operation's table in docs/api.md: {undocumented}"


def test_the_links_within_the_api_document_lead_to_its_headings() -> None:
    text = API_DOCUMENT.read_text(encoding="utf-8")
    anchors = {slug(section.title) for section in sections(text)}

    broken = sorted(set(LOCAL_LINK.findall(text)) - anchors)

    assert not broken, f"links to no heading in docs/api.md: {broken}"


def test_the_readme_links_the_api_document_and_nothing_outside_the_repository() -> None:
    readme = README.read_text(encoding="utf-8")

    assert "](docs/api.md)" in readme
    assert "../shared/" not in readme
    assert "../shared/" not in API_DOCUMENT.read_text(encoding="utf-8")


def test_the_section_reader_sees_a_deleted_section_and_a_deleted_status() -> None:
    """The checks above fail when a section or a status row goes: the reader does not see
    through their absence (say, by reading the next section as this one)."""
    document = (
        "## Tasks\n\n### `GET /api/v1/tasks/{task_id}`\n\n| status | when |\n|---|---|\n"
        "| 200 | the task |\n| 404 | no such task |\n\n```sh\n# not a heading\n```\n\n"
        "### `DELETE /api/v1/tasks/{task_id}`\n\n| status | when |\n|---|---|\n| 204 | deleted |\n"
        "## Health\n\n| 503 | down |\n"
    )

    found = operation_sections(document)

    assert set(found) == {"GET /api/v1/tasks/{task_id}", "DELETE /api/v1/tasks/{task_id}"}
    assert statuses_in(found["GET /api/v1/tasks/{task_id}"]) == {"200", "404"}
    assert statuses_in(found["DELETE /api/v1/tasks/{task_id}"]) == {"204"}


def test_a_section_serves_the_operations_its_also_line_names_and_no_others() -> None:
    document = (
        "### `PUT /api/{user_id}/tasks/{task_id}`\n\nAlso: `PATCH /api/{user_id}/tasks/{task_id}`, "
        "`PUT /api/tasks/{task_id}`.\n\nSee also `GET /api/tasks` for the list.\n\n| 200 | changed |\n"
    )

    found = operation_sections(document)

    assert set(found) == {
        "PUT /api/{user_id}/tasks/{task_id}",
        "PATCH /api/{user_id}/tasks/{task_id}",
        "PUT /api/tasks/{task_id}",
    }
    assert statuses_in(found["PUT /api/tasks/{task_id}"]) == {"200"}

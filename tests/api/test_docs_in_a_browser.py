"""/docs and /redoc in a real browser, offline: a newcomer authorizes and creates a task from the page.

The browser is Debian's chromium (`make test` installs it with `.ci/install-browser`), driven by
Playwright against a real `tasks serve` process. Every request to a host other than the loopback
is aborted and recorded, so a page that still needed a CDN would break here.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.support.served import clean_environment, served

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost"}
# Swagger UI and ReDoc render from a fetched openapi.json: allow for a slow machine. The page's
# own timeout does not reach `expect`, whose default is 5 s: ReDoc once took longer under load.
RENDER_TIMEOUT_MS = 20_000
expect.set_options(timeout=RENDER_TIMEOUT_MS)


@dataclass
class OffHostRequests:
    """Requests the page tried to make to hosts other than the loopback; each was aborted."""

    urls: list[str] = field(default_factory=list)

    def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.urls.append(url)
            route.abort()


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if IN_CI:
        pytest.fail(f"CI=true but {CHROMIUM} is missing: run .ci/install-browser (make test does)")
    pytest.skip(
        f"{CHROMIUM} is missing: run .ci/install-browser (or `make test`) to install Debian's chromium"
    )


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `tasks serve` on its embedded SQLite file, in a folder of its own."""
    with served(tmp_path_factory.mktemp("served"), clean_environment()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def off_host() -> OffHostRequests:
    return OffHostRequests()


@pytest.fixture
def page(browser: Browser, base_url: str, off_host: OffHostRequests) -> Iterator[Page]:
    """A fresh page (no stored authorization), offline but for the loopback."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    context.route("**/*", off_host.route)
    try:
        yield context.new_page()
    finally:
        context.close()


@contextmanager
def screenshot_on_failure(page: Page, tmp_path: Path) -> Iterator[None]:
    """On a failure inside, save what the page showed to tmp_path/failure.png, then fail."""
    path = tmp_path / "failure.png"
    try:
        yield
    except BaseException:
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot of the page at failure: {path}")
        except Exception as error:  # the page may be gone; the test's own failure matters more
            print(f"no screenshot: {error}")
        raise


def _register(base_url: str, email: str, password: str) -> None:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/register",
        json={"email": email, "password": password, "name": "Newcomer"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def _token(base_url: str, email: str, password: str) -> str:
    answer = httpx.post(
        f"{base_url}/api/v1/auth/token", data={"username": email, "password": password}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_newcomer_authorizes_on_the_docs_page_and_creates_a_task_there(
    page: Page, base_url: str, off_host: OffHostRequests, tmp_path: Path
) -> None:
    email, password = f"newcomer-{uuid.uuid4().hex[:12]}@example.com", "a-long-enough-password"
    title = f"Created from /docs {uuid.uuid4()}"

    with screenshot_on_failure(page, tmp_path):
        _create_a_task_on_the_docs_page(page, base_url, email, password, title)

    token = _token(base_url, email, password)
    listed = httpx.get(f"{base_url}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert listed.status_code == 200, listed.text
    assert [task["title"] for task in listed.json()["items"]] == [title]
    assert off_host.urls == []


def _create_a_task_on_the_docs_page(page: Page, base_url: str, email: str, password: str, title: str) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("tasks-service")
    create = page.locator(".opblock.opblock-post").filter(
        has=page.locator('.opblock-summary-path[data-path="/api/v1/tasks"]')
    )
    expect(create).to_be_visible()
    expect(page.locator(".opblock")).not_to_have_count(0)

    _register(base_url, email, password)

    page.locator(".auth-wrapper .btn.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    password_flow = dialog.locator(".auth-container").filter(has_text="OAuth2PasswordBearer")
    password_flow.locator("#oauth_username").fill(email)
    password_flow.locator("#oauth_password").fill(password)
    password_flow.locator("button", has_text="Authorize").click()
    expect(password_flow.locator("button", has_text="Logout")).to_be_visible()  # the token was granted
    expect(password_flow.locator(".errors")).to_have_count(0)
    password_flow.locator("button", has_text="Close").click()
    expect(dialog).to_be_hidden()

    create.locator(".opblock-summary").first.click()
    create.locator("button.try-out__btn").click()
    create.locator("textarea.body-param__text").fill(f'{{"title": "{title}", "tags": ["docs"]}}')
    create.locator("button.execute").click()
    server_response = create.locator(".live-responses-table tr.response .response-col_status")
    expect(server_response).to_have_text("201")
    expect(create.locator(".curl-command")).to_contain_text("Authorization: Bearer ")


def test_redoc_renders_offline(page: Page, tmp_path: Path) -> None:
    with screenshot_on_failure(page, tmp_path):
        page.goto("/redoc")
        expect(page.get_by_role("heading", name="tasks-service", level=1)).to_be_visible()
        expect(page.locator('[data-section-id^="tag/tasks/operation/"]').first).to_be_attached()


def test_redoc_makes_no_request_off_the_machine(page: Page, off_host: OffHostRequests) -> None:
    page.goto("/redoc")
    expect(page.get_by_role("heading", name="tasks-service", level=1)).to_be_visible()
    expect(page.locator('a[href="https://redocly.com/redoc/"]')).to_be_attached()  # the sidebar's end
    _settled(page)

    assert off_host.urls == []


def _settled(page: Page) -> None:
    """Let effects run after the last render, then wait until every image has loaded or failed."""
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r))))"
    )
    page.wait_for_function("() => [...document.images].every(image => image.complete)")

""".ci/install-browser, .ci/install-pgbouncer and .ci/install-wrk on machine states made here.

Each run of a real script has, for PATH, a folder holding only the few real tools the scripts use
(bash, env, sleep, tee, chmod, rm, true) and fakes of `id`, `sudo`, `apt-get` and the tool itself, and,
for TASKS_SYSTEM_ROOT, an empty tree standing for `/`: nothing is installed or removed on this
machine, and its apt-get and dpkg lock are out of reach. The fake apt-get records each call and
plays apt's part: a lock held by another process (apt's own messages and exit status 100), a
package it cannot find, or an install that puts the tool in place.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest

REPO = Path(__file__).resolve().parents[2]
REAL_TOOLS = ("bash", "env", "sleep", "tee", "chmod", "rm", "true")
LOCK_TIMEOUT = 1  # seconds, for TASKS_APT_LOCK_TIMEOUT
NOT_ROOT = 1000

# What apt-get 2.6 -qq prints when another process holds a lock (exit status 100). With
# DPkg::Lock::Timeout it waits that long for the dpkg lock and then says only the last line;
# `apt-get update` does not wait for the lists lock.
DPKG_LOCK_HELD = (
    "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)\n"
    "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), "
    "is another process using it?\n"
)
LISTS_LOCK_HELD = (
    "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)\n"
    "E: Unable to lock directory /var/lib/apt/lists/\n"
)

FAKE_APT_GET = """#!{python}
# apt-get as the test's machine state has it (see test_install_scripts.py).
import json, os, sys, time
from pathlib import Path

config = json.loads(Path({config!r}).read_text())
calls = Path(config["calls"])
argv = sys.argv[1:]
earlier = calls.read_text().splitlines() if calls.exists() else []
policy = Path(config["root"], "usr/sbin/policy-rc.d").exists()
with calls.open("a") as record:
    record.write(json.dumps({{"argv": argv, "policy_rc_d": policy}}) + "\\n")

timeout = 0
for option, value in zip(argv, argv[1:]):
    if option == "-o" and value.startswith("DPkg::Lock::Timeout="):
        timeout = int(value.partition("=")[2])

if "update" in argv:
    updates = sum("update" in json.loads(line)["argv"] for line in earlier)
    if updates < config["update_lock_failures"]:
        sys.stderr.write(config["lists_lock_held"])
        sys.exit(100)
    sys.exit(0)
if "install" in argv:
    if config["install"] == "lock":
        if timeout:  # apt waits for the dpkg lock this long, then gives up
            time.sleep(timeout)
            sys.stderr.write(config["dpkg_lock_held"].splitlines(keepends=True)[-1])
        else:
            sys.stderr.write(config["dpkg_lock_held"])
        sys.exit(100)
    if config["install"] == "no-such-package":
        sys.stderr.write("E: Unable to locate package " + argv[-1] + "\\n")
        sys.exit(100)
    tool = Path(config["installs"])
    tool.write_text("#!/bin/sh\\n")
    tool.chmod(0o755)
    sys.exit(0)
sys.exit(64)
"""


@dataclass(frozen=True)
class Script:
    name: str
    package: str
    debian_path: str  # where Debian's package puts the tool, relative to /
    without_it: str  # what the one line says happens without it

    def __str__(self) -> str:
        return self.name


BROWSER = Script("install-browser", "chromium", "usr/bin/chromium", "the browser tests")
PGBOUNCER = Script("install-pgbouncer", "pgbouncer", "usr/sbin/pgbouncer", "tests through PgBouncer")
WRK = Script("install-wrk", "wrk", "usr/bin/wrk", "`make bench` cannot run")
SCRIPTS = [BROWSER, PGBOUNCER, WRK]


class Machine:
    """A PATH and a `/` for the scripts: who the user is, what sudo and apt-get do, what is there."""

    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "bin"
        self.root = tmp_path / "root"
        self.home = tmp_path / "home"
        self.calls = tmp_path / "apt-get-calls.jsonl"
        for folder in (self.bin, self.home, self.root / "usr/bin", self.root / "usr/sbin"):
            folder.mkdir(parents=True)
        for tool in REAL_TOOLS:
            real = shutil.which(tool)
            assert real, f"{tool} is needed to run the install scripts"
            (self.bin / tool).symlink_to(real)
        self.user(0)
        assert shutil.which("apt-get", path=str(self.bin)) is None  # until a test fakes one

    def _executable(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text)
        path.chmod(0o755)

    def user(self, uid: int) -> None:
        self._executable("id", f"#!/bin/sh\necho {uid}\n")

    def sudo(self, passwordless: bool) -> None:
        if passwordless:
            self._executable("sudo", '#!/bin/sh\n[ "$1" = -n ] && shift\nexec "$@"\n')
        else:
            self._executable("sudo", '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n')

    def apt_get(
        self,
        script: Script,
        install: Literal["installs", "lock", "no-such-package"] = "installs",
        update_lock_failures: int = 0,
    ) -> None:
        config = self.bin.parent / "apt-get.json"
        config.write_text(
            json.dumps(
                {
                    "calls": str(self.calls),
                    "root": str(self.root),
                    "install": install,
                    "installs": str(self.root / script.debian_path),
                    "update_lock_failures": update_lock_failures,
                    "dpkg_lock_held": DPKG_LOCK_HELD,
                    "lists_lock_held": LISTS_LOCK_HELD,
                }
            )
        )
        self._executable("apt-get", FAKE_APT_GET.format(python=sys.executable, config=str(config)))

    def apt_calls(self) -> list[list[str]]:
        if not self.calls.exists():
            return []
        return [json.loads(line)["argv"] for line in self.calls.read_text().splitlines()]

    def policy_during_calls(self) -> list[bool]:
        return [json.loads(line)["policy_rc_d"] for line in self.calls.read_text().splitlines()]

    def run(
        self, script: Script, ci: bool = False, lock_timeout: int = LOCK_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """The real script, with only this machine state's PATH and `/` (no variable of ours leaks in)."""
        environment = {
            "PATH": str(self.bin),
            "HOME": str(self.home),
            "TASKS_SYSTEM_ROOT": str(self.root),
            "TASKS_APT_LOCK_TIMEOUT": str(lock_timeout),
        }
        if ci:
            environment["CI"] = "true"
        return subprocess.run(
            [str(REPO / ".ci" / script.name)],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def the_one_line(stderr: str) -> str:
    """The scripts' line about a package they could not install; there must be exactly one."""
    lines = [line for line in stderr.splitlines() if "not installed" in line]
    assert len(lines) == 1, stderr
    return lines[0]


def assert_skips_in_one_line(result: subprocess.CompletedProcess[str], script: Script, why: str) -> None:
    assert result.returncode == 0, result.stderr
    line = the_one_line(result.stderr)
    assert line.startswith(f"{script.name}: {script.package} not installed (")
    assert why in line
    assert script.without_it in line


def assert_fails_under_ci_in_one_line(result: subprocess.CompletedProcess[str], script: Script) -> None:
    assert result.returncode != 0, result.stderr
    line = the_one_line(result.stderr)
    assert line.startswith(f"{script.name}: {script.package} not installed (")
    assert "CI=true needs it" in line


def timeout_option_in_every_call(calls: list[list[str]], timeout: int = LOCK_TIMEOUT) -> bool:
    option = f"DPkg::Lock::Timeout={timeout}"
    return all(any(a == "-o" and b == option for a, b in itertools.pairwise(call)) for call in calls)


# --- Already there -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "on_path"),
    [
        pytest.param(BROWSER, False, id="chromium-in-/usr/bin"),
        pytest.param(PGBOUNCER, True, id="pgbouncer-on-PATH"),
        pytest.param(PGBOUNCER, False, id="pgbouncer-in-/usr/sbin"),
        pytest.param(WRK, True, id="wrk-on-PATH"),
        pytest.param(WRK, False, id="wrk-in-/usr/bin"),
    ],
)
def test_a_tool_already_there_is_left_alone_without_calling_apt_get(
    machine: Machine, script: Script, on_path: bool
) -> None:
    machine.apt_get(script)
    tool = machine.bin / script.package if on_path else machine.root / script.debian_path
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)

    result = machine.run(script, ci=True)

    assert (result.returncode, result.stderr) == (0, "")
    assert machine.apt_calls() == []


def test_a_chromium_elsewhere_on_path_is_not_the_one_the_browser_tests_launch(machine: Machine) -> None:
    machine.apt_get(BROWSER)
    (machine.bin / "chromium").write_text("#!/bin/sh\n")
    (machine.bin / "chromium").chmod(0o755)

    result = machine.run(BROWSER)

    assert result.returncode == 0, result.stderr
    assert [call for call in machine.apt_calls() if "install" in call]
    assert (machine.root / BROWSER.debian_path).exists()


# --- Nothing to install with ---------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_without_apt_get_or_root_it_says_so_in_one_line_and_make_goes_on(
    machine: Machine, script: Script
) -> None:
    machine.user(NOT_ROOT)

    result = machine.run(script)

    assert_skips_in_one_line(result, script, "apt-get is not available")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_without_apt_get_or_root_it_fails_under_ci(machine: Machine, script: Script) -> None:
    machine.user(NOT_ROOT)

    result = machine.run(script, ci=True)

    assert_fails_under_ci_in_one_line(result, script)
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
@pytest.mark.parametrize(
    ("sudo", "why"),
    [
        pytest.param(None, "not root, and no sudo", id="no-sudo"),
        pytest.param(False, "not root, and sudo asks for a password", id="sudo-with-a-password"),
    ],
)
def test_without_root_or_passwordless_sudo_it_never_calls_apt_get(
    machine: Machine, script: Script, sudo: bool | None, why: str
) -> None:
    machine.user(NOT_ROOT)
    machine.apt_get(script)
    if sudo is not None:
        machine.sudo(passwordless=sudo)

    result = machine.run(script)
    under_ci = machine.run(script, ci=True)

    assert_skips_in_one_line(result, script, why)
    assert len(result.stderr.splitlines()) == 1
    assert_fails_under_ci_in_one_line(under_ci, script)
    assert machine.apt_calls() == []


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_with_passwordless_sudo_it_installs_through_sudo(machine: Machine, script: Script) -> None:
    machine.user(NOT_ROOT)
    machine.sudo(passwordless=True)
    machine.apt_get(script)

    result = machine.run(script, ci=True)

    assert result.returncode == 0, result.stderr
    assert "not installed" not in result.stderr
    assert [call[-1] for call in machine.apt_calls()] == ["-qq", script.package]
    assert timeout_option_in_every_call(machine.apt_calls())
    assert (machine.root / script.debian_path).exists()
    if script is PGBOUNCER:  # its service kept from starting while apt-get runs, and only then
        assert machine.policy_during_calls() == [True, True]
        assert not (machine.root / "usr/sbin/policy-rc.d").exists()


# --- apt-get there, but it cannot install --------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_a_held_dpkg_lock_is_waited_for_then_skipped_in_one_line(machine: Machine, script: Script) -> None:
    machine.apt_get(script, install="lock")

    result = machine.run(script)

    calls = machine.apt_calls()
    assert [call[-1] for call in calls] == ["-qq", script.package]
    assert "install" in calls[1]
    assert timeout_option_in_every_call(calls)
    assert_skips_in_one_line(
        result,
        script,
        "apt-get install: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), "
        f"is another process using it?; waited {LOCK_TIMEOUT}s",
    )
    # Before the wait, a line says what it is waiting for; after it, the one line says what failed.
    notice, line = result.stderr.splitlines()
    assert notice.startswith(f"Installing {script.package} with apt-get (waiting up to {LOCK_TIMEOUT}s")
    assert line == the_one_line(result.stderr)
    assert not (machine.root / "usr/sbin/policy-rc.d").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_a_held_dpkg_lock_fails_under_ci(machine: Machine, script: Script) -> None:
    machine.apt_get(script, install="lock")

    result = machine.run(script, ci=True)

    assert_fails_under_ci_in_one_line(result, script)
    assert "Unable to acquire the dpkg frontend lock" in the_one_line(result.stderr)


def test_with_a_lock_timeout_of_zero_the_line_names_the_process_holding_the_lock(machine: Machine) -> None:
    machine.apt_get(PGBOUNCER, install="lock")

    result = machine.run(PGBOUNCER, lock_timeout=0)

    assert_skips_in_one_line(
        result,
        PGBOUNCER,
        "apt-get install: Could not get lock /var/lib/dpkg/lock-frontend. "
        "It is held by process 4242 (apt-get); waited 0s",
    )
    assert timeout_option_in_every_call(machine.apt_calls(), timeout=0)


def test_apt_get_update_is_tried_again_while_another_holds_the_lists_lock(machine: Machine) -> None:
    machine.apt_get(BROWSER, update_lock_failures=2)
    timeout = 30

    result = machine.run(BROWSER, ci=True, lock_timeout=timeout)

    assert result.returncode == 0, result.stderr
    assert [call[-1] for call in machine.apt_calls()] == ["-qq", "-qq", "-qq", "chromium"]
    assert timeout_option_in_every_call(machine.apt_calls(), timeout=timeout)
    assert (machine.root / BROWSER.debian_path).exists()


def test_a_lists_lock_held_past_the_timeout_is_skipped_in_one_line(machine: Machine) -> None:
    machine.apt_get(BROWSER, update_lock_failures=1_000)

    result = machine.run(BROWSER)

    assert_skips_in_one_line(
        result, BROWSER, "apt-get update: Could not get lock /var/lib/apt/lists/lock. It is held by process"
    )
    assert f"waited {LOCK_TIMEOUT}s" in the_one_line(result.stderr)
    assert len(machine.apt_calls()) >= 2  # tried again before giving up
    assert not any("install" in call for call in machine.apt_calls())


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_apt_get_failing_otherwise_is_skipped_in_one_line_at_once(machine: Machine, script: Script) -> None:
    machine.apt_get(script, install="no-such-package")

    result = machine.run(script)
    under_ci = machine.run(script, ci=True)

    assert_skips_in_one_line(result, script, f"apt-get install: Unable to locate package {script.package}")
    assert "waited" not in the_one_line(result.stderr)
    assert_fails_under_ci_in_one_line(under_ci, script)

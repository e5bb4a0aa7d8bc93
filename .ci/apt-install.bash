# Sourced by .ci/install-browser, .ci/install-pgbouncer and .ci/install-wrk, which set PACKAGE and
# WITHOUT_IT (what happens without it) and exit 0 at once when their tool is already there.
#
# `can_install` and `apt_install` install PACKAGE with apt-get, as root or through passwordless sudo,
# waiting up to TASKS_APT_LOCK_TIMEOUT seconds (default 120) for another apt or dpkg to let go of
# its lock. When that cannot be done (no apt-get, neither root nor passwordless sudo, the lock still
# held, apt-get failing) `not_installed` says so in one line on stderr and exits 0, so that
# `make test` goes on to pytest and the tests that need the tool skip; under CI=true, where those
# tests fail instead, it exits 1.
#
# TASKS_SYSTEM_ROOT (default: the real /) is where the scripts look for the installed tool and
# write outside apt-get; only tests/integration/test_install_scripts.py changes it, to a temp tree.

LOCK_TIMEOUT="${TASKS_APT_LOCK_TIMEOUT:-120}"
ROOT="${TASKS_SYSTEM_ROOT:-}"

# not_installed REASON: the one line, then go on without the package (fail under CI=true).
not_installed() {
    local ci="${CI:-}"
    if [[ ${ci,,} == true ]]; then
        echo "${0##*/}: $PACKAGE not installed ($1); CI=true needs it, so this fails." >&2
        exit 1
    fi
    echo "${0##*/}: $PACKAGE not installed ($1); $WITHOUT_IT." >&2
    exit 0
}

# Sets as_root to what runs a command as root, or gives up.
can_install() {
    if [[ ! $LOCK_TIMEOUT =~ ^[0-9]+$ ]]; then
        echo "TASKS_APT_LOCK_TIMEOUT is a number of seconds, not '$LOCK_TIMEOUT'." >&2
        exit 2
    fi
    command -v apt-get >/dev/null 2>&1 || not_installed "apt-get is not available"
    if [ "$(id -u)" -eq 0 ]; then
        as_root=()
    elif ! command -v sudo >/dev/null 2>&1; then
        not_installed "not root, and no sudo"
    elif sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        not_installed "not root, and sudo asks for a password"
    fi
}

# apt_get ARGS...: apt-get as root. Its stderr is kept in apt_errors (and shown if it succeeds).
apt_get() {
    local status=0
    { apt_errors="$("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT" "$@" 2>&1 >&3 3>&-)" || status=$?; } 3>&1
    if [ "$status" -eq 0 ] && [ -n "$apt_errors" ]; then
        printf '%s\n' "$apt_errors" >&2
    fi
    return "$status"
}

# apt_failed STEP: give up with apt-get's first error line.
apt_failed() {
    local line reason="apt-get $1 failed"
    while IFS= read -r line; do
        if [[ $line == E:* ]]; then
            reason="apt-get $1: ${line#E: }"
            break
        fi
    done <<<"$apt_errors"
    if lock_held; then
        reason="$reason; waited ${LOCK_TIMEOUT}s"
    fi
    not_installed "$reason"
}

# Whether apt-get failed because another process holds one of its locks (apt 2.6's messages).
lock_held() {
    [[ $apt_errors == *"Could not get lock"* || $apt_errors == *"is another process using it?"* ]]
}

apt_install() {
    echo "Installing $PACKAGE with apt-get (waiting up to ${LOCK_TIMEOUT}s for another apt or dpkg)..." >&2
    # `apt-get update` does not wait for the lists lock (DPkg::Lock::Timeout is the dpkg lock's):
    # try again until the timeout. `apt-get install` waits for the dpkg lock itself.
    # SECONDS counts whole seconds, so the deadline can pass during the first try: it always gets
    # a second one.
    local deadline=$((SECONDS + LOCK_TIMEOUT)) tries=0
    until apt_get update -qq; do
        tries=$((tries + 1))
        if ! lock_held || ((tries > 1 && SECONDS >= deadline)); then
            apt_failed update
        fi
        sleep 1
    done
    apt_get install -y -qq --no-install-recommends "$PACKAGE" || apt_failed install
}

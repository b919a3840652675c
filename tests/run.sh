#!/usr/bin/env bash
# The project's test command. Run from anywhere as ./tests/run.sh [ARGS...];
# ARGS go to `cargo test` (e.g. ./tests/run.sh --test it emulator_smoke::).
#
# On a fresh Debian machine with Rust and python3 it installs what the tests
# need: shellcheck and python3-venv (with apt-get, when root), and the pinned
# Python tools of tests/requirements.txt (moto server, AWS CLI, cfn-lint) in
# .venv, and, with Node.js 20+ and npm, the pinned IAM policy evaluation
# engine of tests/iam (npm ci). Tests never contact real AWS: they run
# against moto on 127.0.0.1.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'tests/run.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

apt_updated=
apt_install() {
    if [[ $(id -u) -ne 0 ]]; then
        die "missing $*: install it (e.g. sudo apt-get install $*) and rerun"
    fi
    have apt-get || die "missing $* and no apt-get to install it with"
    say "installing $* with apt-get"
    if [[ -z $apt_updated ]]; then
        apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null
}

# --- system tools ----------------------------------------------------------
have shellcheck || apt_install shellcheck
have jq || apt_install jq # the exported setup.sh runs with it
have tmux || apt_install tmux # the wizard is tested in a real terminal
have cargo || die "cargo not found: install Rust (https://rustup.rs)"

python_ok() { have python3 && python3 -c 'import venv, ensurepip' >/dev/null 2>&1; }
if ! python_ok; then
    # Debian ships venv's ensurepip separately, in python3-venv.
    apt_install python3 python3-venv
    python_ok || die "python3 with its venv module is still missing"
fi

shellcheck tests/run.sh tests/emulator.sh .ci/run

# --- Python tools, pinned ----------------------------------------------------
# Same venv, marker and lock as tests/it/common/mod.rs, so the tests find it
# ready; the lock (flock(2), as Rust's File::lock) guards concurrent installs.
reqs=tests/requirements.txt
marker=.venv/sluice-requirements.txt
exec 9>.venv.lock
if have flock; then flock 9; fi
if ! cmp -s "$reqs" "$marker"; then
    say "creating .venv with $(grep -v '^#' "$reqs" | tr '\n' ' ')"
    python3 -m venv --clear .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs" </dev/null
    cp "$reqs" "$marker"
fi
exec 9>&-

# --- the IAM policy evaluation engine, pinned ------------------------------
# tests/it/iam_eval.rs evaluates every policy sluice writes with
# @cloud-copilot/iam-simulate, pinned in tests/iam/package-lock.json and
# installed with `npm ci` into tests/iam/node_modules (the marker and lock
# are the ones tests/it/common/iam.rs uses). Without Node.js 20+ and npm that
# test is skipped, and listed at the end with the other skips.
iam=tests/iam
iam_marker=$iam/node_modules/.sluice-package-lock.json
node_major=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true)
if have npm && [[ ${node_major:-0} -ge 20 ]]; then
    exec 8>.iam-engine.lock
    if have flock; then flock 8; fi
    if ! cmp -s "$iam/package-lock.json" "$iam_marker"; then
        say "installing the IAM evaluation engine into $iam/node_modules (npm ci)"
        (cd "$iam" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
        cp "$iam/package-lock.json" "$iam_marker"
    fi
    exec 8>&-
else
    say "Node.js 20+ with npm not found: tests/it/iam_eval.rs will say it was skipped"
fi

# --- tests -----------------------------------------------------------------
# A test that cannot run here (mounting a file system needs root) says so in
# this file; it is printed at the end, so that a skip is never silent.
skipped="${CARGO_TARGET_DIR:-target}/tmp/skipped-tests.txt"
rm -f "$skipped"
report_skips() {
    if [[ -s $skipped ]]; then
        say "WARNING: $(wc -l <"$skipped") test(s) could not run here:"
        sed 's/^/    /' "$skipped" >&2
    fi
}
trap report_skips EXIT

# With ARGS: plain `cargo test ARGS` (e.g. --test it NAME::, --lib), as documented.
# Without: every test, binaries and tests side by side with cargo-nextest
# when it is installed (six at a time: the moto-backed tests mostly wait on
# the emulator, the AWS CLI and SQS long-polls), then the doctests, which
# nextest does not run. Without nextest, `cargo test` runs them all, one
# test binary after another (slower, same tests).
if [[ $# -gt 0 ]]; then
    say "cargo test $*"
    cargo test "$@"
elif cargo nextest --version >/dev/null 2>&1; then
    say "cargo nextest run (6 at a time, the Terraform round trips beside them), then cargo test --doc"
    cargo nextest run --config-file tests/nextest.toml --no-fail-fast
    cargo test --doc
else
    say "cargo test (cargo-nextest is not installed: one test binary at a time)"
    cargo test
fi

#!/usr/bin/env bash
# Starts the AWS emulator the tests use (moto server, pinned in
# tests/requirements.txt) on a free 127.0.0.1 port, for trying sluice without
# an AWS account. Run from anywhere: ./tests/emulator.sh [PORT]
#
# It makes the project's .venv first when it is missing (the same one
# ./tests/run.sh makes and reuses: python3 with its venv module is all it
# needs), prints the environment lines for another terminal, writes them to
# .venv/emulator.env as well (`source .venv/emulator.env`), and runs moto in
# the foreground: Ctrl-C stops it, and everything it held is gone.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

say() { printf 'tests/emulator.sh: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

command -v python3 >/dev/null 2>&1 || die "python3 is missing (Debian/Ubuntu: apt-get install python3 python3-venv)"
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
    die "python3 lacks its venv module (Debian/Ubuntu: apt-get install python3-venv)"

# The same venv, marker and lock as tests/run.sh and tests/it/common/mod.rs.
reqs=tests/requirements.txt
marker=.venv/sluice-requirements.txt
exec 9>.venv.lock
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ! cmp -s "$reqs" "$marker"; then
    say "creating .venv with $(grep -v '^#' "$reqs" | tr '\n' ' ')"
    python3 -m venv --clear .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$reqs" </dev/null
    cp "$reqs" "$marker"
fi
exec 9>&-

port=${1:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
endpoint="http://127.0.0.1:$port"

# AWS CLI v1 ignores AWS_ENDPOINT_URL for some services (SQS among them),
# so the alias passes --endpoint-url itself; it reads the region from
# AWS_DEFAULT_REGION only (AWS_REGION is for the SDKs and CLI v2).
cat >.venv/emulator.env <<EOF
export AWS_ENDPOINT_URL=$endpoint AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-west-2 AWS_DEFAULT_REGION=us-west-2 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
alias aws='$root/.venv/bin/aws --endpoint-url $endpoint'
EOF

cat >&2 <<EOF

moto (the AWS emulator) is starting on $endpoint; Ctrl-C stops it.
In another terminal, in $root:

  source .venv/emulator.env

which sets:

$(sed 's/^/  /' .venv/emulator.env)

EOF
# moto.server with one correction: tests/moto_server.py says which.
exec .venv/bin/python tests/moto_server.py -H 127.0.0.1 -p "$port"

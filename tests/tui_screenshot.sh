#!/usr/bin/env bash
# Takes the README's screenshot of the wizard from a real run: moto (from
# .venv, which ./tests/run.sh makes) holds a bucket with settings of its own
# and another team's notification entry; the release binary runs in tmux at
# 120x35 and is driven to the bucket step (live lookup, diff against the
# bucket as it is); the pane is captured with its colours
# (capture-pane -e -p) and rendered to PNG by tests/tui_render_png.py.
#
# Usage: tests/tui_screenshot.sh [OUT.png] (default assets/screenshots/wizard.png)
# Needs: tmux, fonts-dejavu-core, python3 with venv; Pillow is installed
# into a throwaway venv ($SHOT_VENV, default /tmp/sluice-shot-venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'tui_screenshot: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

out=${1:-assets/screenshots/wizard.png}
font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
[[ -x .venv/bin/python ]] || die "no .venv with moto: run ./tests/run.sh once first"
command -v tmux >/dev/null || die "tmux is missing (apt-get install tmux)"
[[ -f $font ]] || die "$font is missing (apt-get install fonts-dejavu-core)"

shot_venv=${SHOT_VENV:-/tmp/sluice-shot-venv}
if ! "$shot_venv/bin/python" -c 'import PIL' 2>/dev/null; then
    say "installing Pillow into $shot_venv"
    python3 -m venv "$shot_venv"
    "$shot_venv/bin/pip" install --quiet --disable-pip-version-check pillow
fi

say "building the release binary"
cargo build --release --quiet
bin=$PWD/target/release/sluice

work=$(mktemp -d)
sock=sluice-shot-$$
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/python -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    kill "$moto" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

endpoint=http://127.0.0.1:$port
for _ in $(seq 100); do
    curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && break
    sleep 0.1
done
aws_env=(
    AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    AWS_DEFAULT_REGION=us-west-2 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    AWS_EC2_METADATA_DISABLED=true
)
aws() { env "${aws_env[@]}" .venv/bin/aws --endpoint-url "$endpoint" "$@" >/dev/null; }

say "seeding moto on port $port"
aws s3api create-bucket --bucket acme-ingest-source --create-bucket-configuration LocationConstraint=us-west-2
aws s3api put-public-access-block --bucket acme-ingest-source \
    --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false
aws sqs create-queue --queue-name analytics-events
aws s3api put-bucket-notification-configuration --bucket acme-ingest-source --notification-configuration \
    '{"QueueConfigurations":[{"Id":"analytics","QueueArn":"arn:aws:sqs:us-west-2:123456789012:analytics-events","Events":["s3:ObjectCreated:*"],"Filter":{"Key":{"FilterRules":[{"Name":"prefix","Value":"analytics/"}]}}}]}'

mkdir -p "$work/home"
env "${aws_env[@]}" "$bin" init --name acme-ingest --region us-west-2 --out "$work/acme.json" 2>/dev/null

keys() { tmux -L "$sock" send-keys -t shot "$@"; }
screen() { tmux -L "$sock" capture-pane -p -t shot; }
wait_for() {
    for _ in $(seq 300); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    screen >&2
    die "\`$1\` never showed"
}

say "running the wizard in tmux"
env -i PATH="$PATH" HOME="$work/home" XDG_CONFIG_HOME="$work/config" TERM=xterm-256color LANG=C.UTF-8 \
    "${aws_env[@]}" \
    tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 35 -s shot -c "$work" \
    "'$bin' wizard --config '$work/acme.json' --log-file '$work/sluice.log'; sleep 600"
wait_for "● account 123456789012"
for step in 2 3 4 5; do
    keys Enter
    wait_for "step $step of 12"
done
# The prefix and suffix, typed; the lookup and the diff update as it goes.
keys Tab Tab
keys -l "logs/"
keys Tab
keys -l ".json.gz"
wait_for "● exists in us-west-2"
wait_for "update +"
sleep 0.3
tmux -L "$sock" capture-pane -e -p -t shot >"$work/screen.ansi"

mkdir -p "$(dirname "$out")"
"$shot_venv/bin/python" tests/tui_render_png.py "$work/screen.ansi" "$out" --cols 120
say "wrote $out"

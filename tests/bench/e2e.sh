#!/usr/bin/env bash
# End-to-end benchmark against moto: CPU seconds per 1,000 objects for
# `sluice consume` and for a boto3 reference consumer (boto3_consumer.py),
# measured in the same run on the same objects. Moto's own CPU is not counted.
#
#   tests/bench/e2e.sh [OBJECTS] [RECORDS_PER_OBJECT]      (defaults 1000 and 200)
#
# Needs the test venv (./tests/run.sh makes it) and a release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

objects=${1:-1000}
records=${2:-200}
root=$PWD
venv=$root/.venv
[ -x "$venv/bin/python" ] || { echo "run ./tests/run.sh first (it makes $venv)" >&2; exit 1; }
cargo build --release --quiet
sluice=$PWD/target/release/sluice

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$venv/bin/python" -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_DEFAULT_REGION=us-west-2 AWS_REGION=us-west-2 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 50); do curl -sf "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break; sleep 0.2; done

cd "$work"
"$sluice" init --name bench --region us-west-2 --out spec.json \
  --set bucket.deny_insecure_transport=false --set bucket.prefix=in/ 2>/dev/null
"$sluice" apply --config spec.json --yes --backup-dir backups >/dev/null 2>&1
queue_url=$AWS_ENDPOINT_URL/123456789012/bench-queue

"$venv/bin/python" - "$objects" "$records" <<'PY'
import gzip, json, os, sys
n, r = int(sys.argv[1]), int(sys.argv[2])
os.makedirs("objects", exist_ok=True)
for o in range(n):
    lines = "".join(json.dumps({"id": f"{o}-{i}", "level": "info", "msg": "x" * 120, "n": i}) + "\n" for i in range(r))
    with open(f"objects/part-{o:05}.ndjson.gz", "wb") as f:
        f.write(gzip.compress(lines.encode(), 6))
PY

upload() { "$venv/bin/aws" --endpoint-url "$AWS_ENDPOINT_URL" s3 cp objects s3://bench-source/in/ --recursive --only-show-errors; }
cpu() { awk '{ print $1 + $2 }' "$1"; }

upload
# Drain apply's s3:TestEvent first so both consumers see the same messages.
"$sluice" consume --config spec.json --headless --sink null --stop-when-idle 1 --metrics /dev/null >/dev/null 2>&1 || true
upload
/usr/bin/time -f "%U %S" -o sluice.time "$sluice" consume --config spec.json --headless --sink null \
  --stop-when-idle 2 --metrics sluice.metrics >/dev/null 2>&1
sluice_records=$(tail -1 sluice.metrics | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["metrics"]["counters"]["records"])')

upload
/usr/bin/time -f "%U %S" -o boto3.time "$venv/bin/python" "$root/tests/bench/boto3_consumer.py" "$queue_url" 3 >boto3.records

s=$(cpu sluice.time); b=$(cpu boto3.time)
python3 - "$objects" "$sluice_records" "$(cat boto3.records)" "$s" "$b" <<'PY'
import sys
n, sr, br, s, b = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
per = lambda cpu: cpu / n * 1000
print(f"| consumer | records | CPU s | CPU s per 1,000 objects |")
print(f"|---|---:|---:|---:|")
print(f"| sluice consume | {sr} | {s:.2f} | {per(s):.2f} |")
print(f"| boto3 reference | {br} | {b:.2f} | {per(b):.2f} |")
print(f"\nsluice uses {s / b:.3f}x the CPU of the boto3 reference (target: at most 0.2x)")
PY

#!/usr/bin/env bash
# End-to-end benchmark against moto: CPU seconds per 1,000 objects for
# `sluice consume` and for a boto3 reference consumer (boto3_consumer.py),
# measured in the same run on the same objects. Moto's own CPU is not counted.
#
#   tests/bench/e2e.sh [OBJECTS] [RECORDS_PER_OBJECT] [ROUNDS]   (defaults 1000, 200, 3)
#
# Needs the test venv (./tests/run.sh makes it) and a release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

objects=${1:-1000}
records=${2:-200}
rounds=${3:-3}
root=$PWD
venv=$root/.venv
[ -x "$venv/bin/python" ] || { echo "run ./tests/run.sh first (it makes $venv)" >&2; exit 1; }
# SLUICE=path/to/sluice measures that binary instead of building one.
if [ -z "${SLUICE:-}" ]; then
  cargo build --release --quiet
fi
sluice=${SLUICE:-$PWD/target/release/sluice}

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
records_of() { tail -1 "$1" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["metrics"]["counters"]["records"])'; }

upload
# Drain apply's s3:TestEvent first so every run sees the same messages.
"$sluice" consume --config spec.json --headless --sink null --stop-when-idle 1 --metrics /dev/null >/dev/null 2>&1 || true

# Alternate the consumers, ROUNDS times each (CPU time on a shared machine is
# noisy; the medians are compared). The dir sink row shows the cost of
# writing and fsyncing the records; the null sink matches what the boto3
# reference does with them (parse, then drop).
: >results
for round in $(seq "$rounds"); do
  upload
  /usr/bin/time -f "%U %S" -o t "$sluice" consume --config spec.json --headless --sink null \
    --stop-when-idle 2 --metrics m >/dev/null 2>&1
  echo "null $(cpu t) $(records_of m)" >>results
  upload
  rm -rf out
  /usr/bin/time -f "%U %S" -o t "$sluice" consume --config spec.json --headless --sink dir:out \
    --stop-when-idle 2 --metrics m >/dev/null 2>&1
  echo "dir $(cpu t) $(records_of m)" >>results
  upload
  /usr/bin/time -f "%U %S" -o t "$venv/bin/python" "$root/tests/bench/boto3_consumer.py" "$queue_url" 3 >r
  echo "boto3 $(cpu t) $(cat r)" >>results
  echo "round $round: $(tail -3 results | tr '\n' ' ')" >&2
done

python3 - "$objects" results <<'PY'
import statistics, sys
n = int(sys.argv[1])
runs = {}
for line in open(sys.argv[2]):
    name, cpu, records = line.split()
    runs.setdefault(name, []).append((float(cpu), int(records)))
def med(name):
    return statistics.median(c for c, _ in runs[name])
names = {"null": "sluice consume --sink null", "dir": "sluice consume --sink dir:", "boto3": "boto3 reference"}
print(f"{n} objects, {len(runs['boto3'])} rounds; median CPU seconds (user + system)")
print()
print("| consumer | records per run | CPU s (median) | CPU s per 1,000 objects | runs |")
print("|---|---:|---:|---:|---|")
for key in ("null", "dir", "boto3"):
    records = sorted({r for _, r in runs[key]})
    all_runs = ", ".join(f"{c:.2f}" for c, _ in runs[key])
    print(f"| {names[key]} | {'/'.join(map(str, records))} | {med(key):.2f} | {med(key) / n * 1000:.2f} | {all_runs} |")
print()
print(f"sluice (null sink) uses {med('null') / med('boto3'):.3f}x the CPU of the boto3 reference (target: at most 0.2x)")
print(f"sluice (dir sink) uses {med('dir') / med('boto3'):.3f}x")
PY

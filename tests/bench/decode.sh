#!/usr/bin/env bash
# Decode benchmark, whole processes: `wc -l`, `gzip -dc` and `sluice decode
# --sink null` on the same NDJSON of ~400-byte log records, plain and gzip,
# timed in one run (best of ROUNDS, the commands alternating), with the peak
# RSS of each sluice run. Not a test: nothing here asserts a speed.
#
#   tests/bench/decode.sh [SIZE_MIB] [ROUNDS]   (defaults 1024, 3)
#
# SLUICE=path/to/sluice measures that binary instead of building one;
# BEFORE=path/to/other/sluice measures that one too, in the same rounds
# (e.g. a build of main against this branch's); DATA=dir keeps the
# generated files there and reuses them on the next run.
# MB/s are 10^6 bytes of the decompressed stream per second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

size_mib=${1:-1024}
rounds=${2:-3}
if [ -z "${SLUICE:-}" ]; then
  cargo build --release --quiet
fi
sluice=${SLUICE:-$PWD/target/release/sluice}

if [ -n "${DATA:-}" ]; then
  data=$DATA
  mkdir -p "$data"
else
  data=$(mktemp -d)
  trap 'rm -rf "$data"' EXIT
fi
plain=$data/records-$size_mib.ndjson
gz=$plain.gz

if [ ! -s "$plain" ]; then
  echo "generating $size_mib MiB of NDJSON in $data" >&2
  python3 - "$size_mib" "$plain.tmp" <<'PY'
import random, sys
size, path = int(sys.argv[1]) << 20, sys.argv[2]
rng = random.Random(27)
levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
services = ["checkout-api", "payments", "search", "auth", "inventory"]
methods = ["GET", "GET", "POST", "PUT", "DELETE"]
paths = ["/api/v1/users/12345/profile", "/api/v2/orders?limit=50&cursor=eyJpZCI6MTIzfQ",
         "/healthz", "/static/js/app.8f3c2a.js", "/api/v1/cart/items"]
agents = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "curl/8.5.0", "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5"]
msgs = ["request completed", "upstream timeout, retrying",
        'cache miss for key \\"user:12345\\"', "payment declined: insufficient funds"]
regions = ["eu-west-1", "us-east-1", "ap-southeast-2"]
written, i, chunk = 0, 0, []
with open(path, "w") as out:
    while written < size:
        r = rng.getrandbits(64)
        status = (200, 200, 200, 201, 204, 301, 404, 500)[r & 7]
        line = (
            f'{{"ts":"2025-06-{1 + i // 86400000 % 28:02}T{i // 3600000 % 24:02}:{i // 60000 % 60:02}:'
            f'{i // 1000 % 60:02}.{i % 1000:03}Z","level":"{levels[r % 6]}","service":"{services[(r >> 3) % 5]}",'
            f'"host":"ip-10-0-{(r >> 8) & 255}-{(r >> 16) & 255}.ec2.internal","method":"{methods[(r >> 24) % 5]}",'
            f'"path":"{paths[(r >> 27) % 5]}","status":{status},"latency_ms":{(r >> 30) % 500000 / 100},'
            f'"bytes":{(r >> 40) % 2000000},"user_agent":"{agents[(r >> 50) % 3]}",'
            f'"request_id":"{rng.getrandbits(64):016x}","trace_id":"{rng.getrandbits(128):032x}",'
            f'"msg":"{msgs[(r >> 52) % 4]}","tags":["prod","{regions[(r >> 55) % 3]}"],"retry":{"true" if status >= 500 else "false"}}}\n'
        )
        chunk.append(line)
        written += len(line)
        i += 37
        if len(chunk) == 10000:
            out.write("".join(chunk))
            chunk = []
    out.write("".join(chunk))
PY
  mv "$plain.tmp" "$plain"
  rm -f "$gz"
fi
if [ ! -s "$gz" ]; then
  gzip -6 -c "$plain" >"$gz.tmp"
  mv "$gz.tmp" "$gz"
fi
bytes=$(stat -c %s "$plain")
records=$(wc -l <"$plain")
# Both files in the page cache: the figures exclude the disk.
cat "$plain" "$gz" >/dev/null

# run NAME COMMAND...: the command's wall time (best so far kept in best[NAME])
# and, for sluice, its peak RSS (largest kept in rss[NAME]).
declare -A best rss
run() {
  local name=$1 t0 t1 seconds kib
  shift
  t0=$EPOCHREALTIME
  /usr/bin/time -f %M -o "$data/rss" "$@" >/dev/null 2>"$data/err" || {
    cat "$data/err" >&2
    exit 1
  }
  t1=$EPOCHREALTIME
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
  kib=$(tail -1 "$data/rss")
  if [ -z "${best[$name]:-}" ] || awk -v s="$seconds" -v b="${best[$name]}" 'BEGIN { exit !(s < b) }'; then
    best[$name]=$seconds
  fi
  if [ -z "${rss[$name]:-}" ] || [ "$kib" -gt "${rss[$name]}" ]; then
    rss[$name]=$kib
  fi
  printf '  %-14s %8.3f s  %7d KiB peak RSS\n' "$name" "$seconds" "$kib" >&2
}

check_records() {
  grep -q " $records records, 0 decode errors" "$data/err" || {
    echo "sluice decode did not deliver $records records:" >&2
    cat "$data/err" >&2
    exit 1
  }
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
  echo "round $round" >&2
  run "wc -l" wc -l "$plain"
  run "gzip -dc" gzip -dc "$gz"
  run "sluice plain" "$sluice" decode "$plain" --sink null
  check_records
  run "sluice gzip" "$sluice" decode "$gz" --sink null
  check_records
  if [ -n "${BEFORE:-}" ]; then
    run "before plain" "$BEFORE" decode "$plain" --sink null
    check_records
    run "before gzip" "$BEFORE" decode "$gz" --sink null
    check_records
  fi
done

mbs() { awk -v b="$bytes" -v s="${best[$1]}" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
ratio() { awk -v a="${best[$2]}" -v b="${best[$1]}" 'BEGIN { printf "%.2f", a / b }'; }
mib() { awk -v k="${rss[$1]}" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "$(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(wc --version | head -1), $(gzip --version | head -1)"
echo "$bytes bytes ($records records of $((bytes / records)) bytes) plain, $(stat -c %s "$gz") bytes gzip -6; best of $rounds"
echo "load average (1, 5, 15 min) before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | s | MB/s | ratio | peak RSS |"
echo "|---|---:|---:|---:|---:|"
echo "| \`wc -l\` | ${best[wc -l]} | $(mbs "wc -l") | | |"
echo "| \`sluice decode --sink null\` (plain) | ${best[sluice plain]} | $(mbs "sluice plain") | $(ratio "sluice plain" "wc -l")× \`wc -l\` | $(mib "sluice plain") MiB |"
echo "| \`gzip -dc > /dev/null\` | ${best[gzip -dc]} | $(mbs "gzip -dc") | | |"
echo "| \`sluice decode --sink null\` (gzip) | ${best[sluice gzip]} | $(mbs "sluice gzip") | $(ratio "sluice gzip" "gzip -dc")× \`gzip -dc\` | $(mib "sluice gzip") MiB |"
if [ -n "${BEFORE:-}" ]; then
  echo "| before: \`sluice decode --sink null\` (plain) | ${best[before plain]} | $(mbs "before plain") | $(ratio "before plain" "wc -l")× \`wc -l\` | $(mib "before plain") MiB |"
  echo "| before: \`sluice decode --sink null\` (gzip) | ${best[before gzip]} | $(mbs "before gzip") | $(ratio "before gzip" "gzip -dc")× \`gzip -dc\` | $(mib "before gzip") MiB |"
fi

#!/bin/bash
# bench/run.sh BUILD_DIR: every comparison of bench/README.md in one run.
#
# Builds nothing.  Starts BUILD_DIR/tests/sim/callmux-sim (generic service)
# and runs against it, side by side: wrk, bench/rawloop in both modes
# (rawloop-hiperfifo: curl's hiperfifo example as written, a new easy handle
# per request; rawloop-tuned: easy handles reused per slot) and
# bench/callmux-bench at 64 in flight (scheduler off and on), an open-loop
# constant-rate run, 10,000 in flight, the lane rate accuracy and the
# queued-call memory; then prints a table of ratios against the goals of
# DESIGN.md ("Performance targets").  Bounded: every client run stops
# after MAX_SECS (--max-secs) whatever its call count, so a full run takes
# 3-5 minutes on a busy 2-core machine.  Never part of `make check`.
#
# Environment (all optional):
#   ROUNDS=3       closed-loop rounds at 64 in flight (median is kept)
#   N64=60000      calls per round at 64 in flight
#   MAX_SECS=12    longest client run (the 10,000 run: MAX10K_SECS=45;
#                  any run is killed after MAX10K_SECS + 60 s)
#   N10K=20000     calls for the 10,000-in-flight runs
#   RATE=          open-loop rate in calls/s (default: a quarter of the
#                  tuned raw loop's median closed-loop rate, so that no
#                  client runs near saturation on a shared machine), for
#                  OPEN_SECS=8 s
#   WRK_SECS=8     wrk duration
#   BURSTS="1 2 5" lane bursts for the rate-accuracy runs (500/s, 10 s)
#   CMX_BENCH      another callmux-bench binary (e.g. one built against a
#                  patched engine), same options
#   CMX_BENCH_SIM  another server command to use instead of callmux-sim
#                  (must print "generic http://127.0.0.1:PORT")
#   KEEP=DIR       keep every program's output in DIR
set -u

BUILD=${1:-.}
BUILD=$(cd "$BUILD" && pwd) || exit 2
SIM=${CMX_BENCH_SIM:-$BUILD/tests/sim/callmux-sim}
RAW=$BUILD/bench/rawloop
CMX=${CMX_BENCH:-$BUILD/bench/callmux-bench}
ROUNDS=${ROUNDS:-3}
N64=${N64:-60000}
MAX_SECS=${MAX_SECS:-12}
MAX10K_SECS=${MAX10K_SECS:-45}
HARD_SECS=$((MAX10K_SECS + 60))
N10K=${N10K:-20000}
RATE=${RATE:-}
OPEN_SECS=${OPEN_SECS:-8}
WRK_SECS=${WRK_SECS:-8}
BURSTS=${BURSTS:-1 2 5}

for p in "$SIM" "$RAW"; do
  [ -x "${p%% *}" ] || { echo "run.sh: $p not built" >&2; exit 2; }
done
have_cmx=1
[ -x "$CMX" ] || { have_cmx=0; echo "run.sh: $CMX not built: engine rows skipped" >&2; }
have_wrk=1
command -v wrk >/dev/null || { have_wrk=0; echo "run.sh: wrk not installed (apt-get install wrk)" >&2; }

OUT=${KEEP:-$(mktemp -d /tmp/cmx-bench.XXXXXX)}
mkdir -p "$OUT"
SIMPID=
cleanup() {
  [ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null && wait "$SIMPID" 2>/dev/null
  [ -z "${KEEP:-}" ] && rm -rf "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 10,000 connections need 10,000 fds in each process (the simulator too).
ulimit -n "$(ulimit -Hn)" 2>/dev/null
echo "machine: $(nproc) cores, $(uname -r), ulimit -n $(ulimit -n)," \
  "somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null)," \
  "libcurl $(curl-config --version 2>/dev/null | cut -d' ' -f2)"
if [ "$(ulimit -n)" -lt 10200 ]; then
  echo "run.sh: ulimit -n $(ulimit -n) < 10200: 10,000 in flight skipped" >&2
  N10K=0
fi

# ---- the simulator ----------------------------------------------------
if [ -n "${CMX_BENCH_SIM:-}" ]; then
  $SIM >"$OUT/sim.out" 2>&1 &
else
  "$SIM" --port 0 --services generic >"$OUT/sim.out" 2>&1 &
fi
SIMPID=$!
BASE=
for _ in $(seq 50); do
  BASE=$(awk '$1 == "generic" { print $2; exit }' "$OUT/sim.out")
  [ -n "$BASE" ] && break
  sleep 0.1
done
[ -n "$BASE" ] || { echo "run.sh: simulator did not start:" >&2; cat "$OUT/sim.out" >&2; exit 1; }
URL=$BASE/json
echo "server: $SIM (pid $SIMPID), $URL"
echo

# Server CPU in clock ticks, to tell a server-bound run.
TCK=$(getconf CLK_TCK)
sim_ticks() { awk '{ print $14 + $15 }' "/proc/$SIMPID/stat"; }

# run NAME CMD...: run a client, keep its RESULT line plus the server's
# CPU share during the run.
run() {
  local name=$1 s0 s1 t0 t1 line
  shift
  s0=$(sim_ticks); t0=$(date +%s.%N)
  # --max-secs is checked by the client's own loop, which a stalled loop
  # may not reach in time: a hard stop 60 s later keeps the run bounded.
  timeout -s KILL "$HARD_SECS" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  s1=$(sim_ticks); t1=$(date +%s.%N)
  line=$(grep '^RESULT ' "$OUT/$name.out" | tail -1)
  if [ -z "$line" ]; then
    echo "  $name: no result ($(head -c 300 "$OUT/$name.err" | tr '\n' ' '))"
    return 1
  fi
  echo "$line server_cpu_pct=$(awk -v a="$s0" -v b="$s1" -v t0="$t0" -v t1="$t1" -v k="$TCK" \
    'BEGIN { printf "%.0f", (b - a) / k / (t1 - t0) * 100 }')" >"$OUT/$name.res"
  echo "  $(cat "$OUT/$name.res")"
}

# field FILE KEY: a value from a RESULT line
field() {
  [ -f "$1" ] || { echo ""; return; }
  tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k { print $2; exit }'
}

# median of the named field over the rounds' result files; prints the
# file holding the median round.
median_file() {
  local key=$1
  shift
  for f in "$@"; do [ -f "$f" ] && echo "$(field "$f" "$key") $f"; done |
    sort -n | awk '{ a[NR] = $2 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

# median_ratio KEY A B: the median over the rounds of A.r's KEY / B.r's KEY
# (the clients of one round ran back to back, so a ratio within a round
# is not skewed by load that changed between rounds).
median_ratio() {
  local key=$1 a=$2 b=$3 r
  for r in $(seq "$ROUNDS"); do
    awk -v x="$(field "$OUT/$a.$r.res" "$key")" -v y="$(field "$OUT/$b.$r.res" "$key")" \
      'BEGIN { if (x != "" && y + 0 > 0) printf "%.3f\n", x / y }'
  done | sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%.2f", a[int((NR + 1) / 2)]; else print "n/a" }'
}

# ---- wrk ----------------------------------------------------------------
if [ "$have_wrk" = 1 ]; then
  echo "wrk -t1 -c64 -d${WRK_SECS}s --latency $URL"
  s0=$(sim_ticks)
  /usr/bin/time -f "%U %S" -o "$OUT/wrk.time" wrk -t1 -c64 -d"${WRK_SECS}s" --latency "$URL" >"$OUT/wrk.out" 2>&1
  s1=$(sim_ticks)
  WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk.out")
  WRK_N=$(awk '/requests in/ { print $1 }' "$OUT/wrk.out")
  WRK_CPU=$(awk -v n="$WRK_N" '{ if (n > 0) printf "%.2f", ($1 + $2) * 1e6 / n }' "$OUT/wrk.time")
  WRK_SRV=$(awk -v a="$s0" -v b="$s1" -v k="$TCK" -v d="$WRK_SECS" 'BEGIN { printf "%.0f", (b - a) / k / d * 100 }')
  echo "  RESULT name=wrk calls=$WRK_N cps=$WRK_RPS cpu_us_per_call=$WRK_CPU server_cpu_pct=$WRK_SRV"
  grep -A2 'Thread Stats' "$OUT/wrk.out" | sed 's/^/    /'
  grep -A4 'Latency Distribution' "$OUT/wrk.out" | sed 's/^/    /'
fi

# ---- 64 in flight, closed loop: rounds interleaved ------------------------
echo
echo "64 in flight, $N64 calls, $ROUNDS rounds (rawloop-hiperfifo, rawloop-tuned, callmux, callmux --lanes on)"
for r in $(seq "$ROUNDS"); do
  run "hf64.$r" "$RAW" --hiperfifo -n "$N64" -c 64 --max-secs "$MAX_SECS" "$URL"
  run "raw64.$r" "$RAW" -n "$N64" -c 64 --max-secs "$MAX_SECS" "$URL"
  if [ "$have_cmx" = 1 ]; then
    run "cmx64.$r" "$CMX" -n "$N64" -c 64 --lanes off --max-secs "$MAX_SECS" "$URL"
    run "lanes64.$r" "$CMX" -n "$N64" -c 64 --lanes on --max-secs "$MAX_SECS" "$URL"
  fi
done
RAW64=$(median_file cps "$OUT"/raw64.*.res)
HF64=$(median_file cps "$OUT"/hf64.*.res)
HF64C=$(median_file cpu_us_per_call "$OUT"/hf64.*.res)
CMX64=$(median_file cps "$OUT"/cmx64.*.res)
LAN64=$(median_file cps "$OUT"/lanes64.*.res)
RAW64C=$(median_file cpu_us_per_call "$OUT"/raw64.*.res)
CMX64C=$(median_file cpu_us_per_call "$OUT"/cmx64.*.res)
LAN64C=$(median_file cpu_us_per_call "$OUT"/lanes64.*.res)

# ---- open loop at a constant rate -----------------------------------------
echo
if [ -z "$RATE" ]; then
  RATE=$(awk -v c="$(field "$RAW64" cps)" 'BEGIN { r = int(c / 4 / 100) * 100; print (r > 0 ? r : 1000) }')
fi
OPEN_N=$((RATE * OPEN_SECS))
echo "open loop at $RATE/s, $OPEN_N calls, at most 64 in flight (latency from intended send time)"
run hfopen "$RAW" --hiperfifo -n "$OPEN_N" -c 64 -r "$RATE" --precise --max-secs $((OPEN_SECS * 2)) "$URL"
run rawopen "$RAW" -n "$OPEN_N" -c 64 -r "$RATE" --precise --max-secs $((OPEN_SECS * 2)) "$URL"
[ "$have_cmx" = 1 ] && run cmxopen "$CMX" -n "$OPEN_N" -c 64 -r "$RATE" --precise --max-secs $((OPEN_SECS * 2)) "$URL"

# ---- 10,000 in flight -----------------------------------------------------
if [ "$N10K" -gt 0 ]; then
  echo
  echo "10,000 in flight, $N10K calls"
  run hf10k "$RAW" --hiperfifo -n "$N10K" -c 10000 --max-secs "$MAX10K_SECS" "$URL"
  run raw10k "$RAW" -n "$N10K" -c 10000 --max-secs "$MAX10K_SECS" "$URL"
  [ "$have_cmx" = 1 ] && run cmx10k "$CMX" -n "$N10K" -c 10000 --lanes off --max-secs "$MAX10K_SECS" "$URL"
fi

# ---- scheduler -------------------------------------------------------------
if [ "$have_cmx" = 1 ]; then
  echo
  RATE_RUNS=
  for b in $BURSTS; do
    echo "rate accuracy: 500/s for 10 s, burst $b"
    run "rate-b$b" "$CMX" --rate-accuracy --set-rate 500 --secs 10 --burst "$b" "$BASE"
    sed -n '1,5p' "$OUT/rate-b$b.out" | sed 's/^/    /'
    RATE_RUNS="$RATE_RUNS rate-b$b"
  done
  echo
  echo "queue memory: 1,000,000 calls queued behind a slow lane"
  run qmem "$CMX" --queue-memory -n 1000000 "$BASE"
fi

# ---- the table ---------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { # value op goal
  awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN {
    if (v == "n/a" || v == "") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= g + 0) : (v + 0 <= g + 0)
    print ok ? "met" : "MISSED" }'
}
row() { printf '%-34s %-34s %-10s %-7s %s\n' "$1" "$2" "$3" "$4" "$5"; }

c_raw=$(field "$RAW64" cps); c_cmx=$(field "$CMX64" cps); c_lan=$(field "$LAN64" cps)
u_raw=$(field "$RAW64C" cpu_us_per_call); u_cmx=$(field "$CMX64C" cpu_us_per_call)
u_lan=$(field "$LAN64C" cpu_us_per_call)
c_hf=$(field "$HF64" cps); u_hf=$(field "$HF64C" cpu_us_per_call)
echo
echo "== results (medians of $ROUNDS rounds at 64 in flight; server: callmux-sim, one thread) =="
row "what" "measured" "goal" "ratio" "verdict"
echo "(the values are medians per client; the ratios @64 are medians of the per-round ratios)"
r=$(median_ratio cps cmx64 hf64); row "calls/s @64 vs rawloop-hiperfifo" "$c_cmx vs $c_hf" ">= 1.2 x" "$r" "$(verdict "$r" ">=" 1.2)"
r=$(median_ratio cps cmx64 raw64); row "calls/s @64 vs rawloop-tuned" "$c_cmx vs $c_raw" ">= 1.2 x" "$r" "$(verdict "$r" ">=" 1.2)"
r=$(ratio "$c_cmx" "${WRK_RPS:-}"); row "calls/s @64 vs wrk" "$c_cmx vs ${WRK_RPS:-n/a}" ">= 0.8 x" "$r" "$(verdict "$r" ">=" 0.8)"
r=$(median_ratio cpu_us_per_call cmx64 hf64); row "CPU/call vs rawloop-hiperfifo (us)" "$u_cmx vs $u_hf" "<= 0.8 x" "$r" "$(verdict "$r" "<=" 0.8)"
r=$(median_ratio cpu_us_per_call cmx64 raw64); row "CPU/call vs rawloop-tuned (us)" "$u_cmx vs $u_raw" "<= 0.8 x" "$r" "$(verdict "$r" "<=" 0.8)"
r=$(median_ratio cps lanes64 cmx64); row "calls/s scheduler on vs off" "$c_lan vs $c_cmx" ">= 0.95 x" "$r" "$(verdict "$r" ">=" 0.95)"
r=$(median_ratio cpu_us_per_call lanes64 cmx64); row "CPU/call scheduler on vs off (us)" "$u_lan vs $u_cmx" "(info)" "$r" ""
row "rawloop-tuned vs wrk (calls/s)" "$c_raw vs ${WRK_RPS:-n/a}" "(info)" "$(ratio "$c_raw" "${WRK_RPS:-}")" ""
row "rawloop-hiperfifo vs tuned (calls/s)" "$c_hf vs $c_raw" "(info)" "$(median_ratio cps hf64 raw64)" ""
row "rawloop-hiperfifo vs wrk (calls/s)" "$c_hf vs ${WRK_RPS:-n/a}" "(info)" "$(ratio "$c_hf" "${WRK_RPS:-}")" ""
row "wrk CPU/call (us)" "${WRK_CPU:-n/a}" "(info)" "" ""
if [ -f "$OUT/rawopen.res" ]; then
  row "open loop p99 us (callmux vs tuned)" "$(field "$OUT/cmxopen.res" p99_us) vs $(field "$OUT/rawopen.res" p99_us)" "(info)" \
    "$(ratio "$(field "$OUT/cmxopen.res" p99_us)" "$(field "$OUT/rawopen.res" p99_us)")" ""
  row "open loop p99 us (callmux vs hiperfifo)" "$(field "$OUT/cmxopen.res" p99_us) vs $(field "$OUT/hfopen.res" p99_us)" "(info)" \
    "$(ratio "$(field "$OUT/cmxopen.res" p99_us)" "$(field "$OUT/hfopen.res" p99_us)")" ""
fi
if [ "$N10K" -gt 0 ]; then
  k_raw=$(field "$OUT/raw10k.res" rss_kb); k_cmx=$(field "$OUT/cmx10k.res" rss_kb)
  k_hf=$(field "$OUT/hf10k.res" rss_kb)
  r=$(ratio "$k_cmx" "$k_hf"); row "RSS kB @10,000 vs hiperfifo" "$k_cmx vs $k_hf" "<= 1.1 x" "$r" "$(verdict "$r" "<=" 1.1)"
  r=$(ratio "$k_cmx" "$k_raw"); row "RSS kB @10,000 vs tuned" "$k_cmx vs $k_raw" "<= 1.1 x" "$r" "$(verdict "$r" "<=" 1.1)"
  d=$(field "$OUT/hf10k.res" calls); e=$(field "$OUT/hf10k.res" secs)
  row "10,000 in flight: rawloop-hiperfifo" "${d:-n/a} done in ${e:-n/a} s" "(info)" "" ""
  d=$(field "$OUT/raw10k.res" calls); e=$(field "$OUT/raw10k.res" secs)
  row "10,000 in flight: rawloop-tuned" "${d:-n/a} done in ${e:-n/a} s" "(info)" "" ""
  d=$(field "$OUT/cmx10k.res" calls); e=$(field "$OUT/cmx10k.res" secs)
  row "10,000 in flight: callmux" "${d:-n/a} done in ${e:-n/a} s" "(info)" "" ""
  r=$(ratio "$(field "$OUT/cmx10k.res" cpu_us_per_call)" "$(field "$OUT/raw10k.res" cpu_us_per_call)")
  row "CPU/call @10,000 vs hiperfifo (us)" "$(field "$OUT/cmx10k.res" cpu_us_per_call) vs $(field "$OUT/hf10k.res" cpu_us_per_call)" "(info)" \
    "$(ratio "$(field "$OUT/cmx10k.res" cpu_us_per_call)" "$(field "$OUT/hf10k.res" cpu_us_per_call)")" ""
  row "CPU/call @10,000 vs tuned (us)" "$(field "$OUT/cmx10k.res" cpu_us_per_call) vs $(field "$OUT/raw10k.res" cpu_us_per_call)" "(info)" "$r" ""
  d=$(field "$OUT/cmx10k.res" calls); e=$(field "$OUT/cmx10k.res" errors)
  v=n/a
  [ "$have_cmx" = 1 ] && { [ "${d:-}" = "$N10K" ] && [ "${e:-}" = 0 ] && v=met || v=MISSED; }
  row "10,000 in flight: all complete" "${d:-n/a} done, ${e:-n/a} errors" "$N10K, 0" "" "$v"
fi
for rf in ${RATE_RUNS:-}; do
  [ -f "$OUT/$rf.res" ] || continue
  bu=$(field "$OUT/$rf.res" burst)
  tag=" burst $bu"
  a=$(field "$OUT/$rf.res" achieved); p=$(field "$OUT/$rf.res" err_pct)
  row "lane 500/s,$tag" "$a/s (${p} %)" "+-1 %" "" \
    "$(awk -v p="$p" 'BEGIN { print (p != "" && p >= -1 && p <= 1) ? "met" : "MISSED" }')"
  b=$(field "$OUT/$rf.res" max_1ms); s=$(field "$OUT/$rf.res" max_1s)
  row "  largest burst at the server" "$b in 1 ms, $s in 1 s" "<= $bu; <= $((500 + bu))" "" \
    "$([ "${b:-9}" -le "$bu" ] && [ "${s:-999}" -le $((500 + bu)) ] && echo met || echo MISSED)"
  t=$(field "$OUT/$rf.res" sim_429)
  row "  429s at the server's limit" "${t:-n/a}" "0" "" "$([ "${t:-x}" = 0 ] && echo met || echo MISSED)"
done
if [ -f "$OUT/qmem.res" ]; then
  q=$(field "$OUT/qmem.res" bytes_per_call)
  row "bytes per queued call (1e6 queued)" "$q" "<= 256" "" "$(verdict "$q" "<=" 256)"
fi
echo "(client CPU/call = getrusage user+sys / calls; server CPU share per run is in each RESULT line as server_cpu_pct)"
[ -n "${KEEP:-}" ] && echo "outputs kept in $OUT"
exit 0

#!/usr/bin/env bash
# run-suite.sh <bridge-dir> <mode> [runTests.py arguments...]
#
# Runs ACME's own test suite (tests/runTests.py of ankraft/ACME-oneM2M-CSE)
# against a fresh in-memory ACME, either directly or through onem2m-ws-bridge,
# then writes a summary (counts and failing test names) and stops everything
# it started.
#
# modes:
#   http       suite over HTTP straight to ACME (baseline)
#   acme-ws    suite in ws mode against ACME's own WebSocket binding
#   bridge-ws  suite in ws mode through the bridge (ACME behind it on HTTP)
#
# <bridge-dir> is a built checkout of onem2m-ws-bridge (npm run build; it must
# contain dist/cli/main.js); only used in mode bridge-ws ("-" otherwise).
# Extra arguments go to runTests.py, e.g. `testAE testCNT` (suites) or
# `--run-tests test_createAE` (single tests).
#
# Environment (defaults in brackets):
#   ACME_DIR          ACME checkout                         [/work/acme]
#   ACME_PYTHON       python with ACME's and the tests' deps [/tmp/acme-venv/bin/python]
#   ACME_ENV          file sourced before ACME/tests run (extra PYTHONPATH) [/tmp/acme-deps/env.sh]
#   ALLOW_ORIGINATOR  bridge --allow-originator               [C*,S*]
#   BRIDGE_ARGS       extra bridge flags                      []
#   ACME_LOG_LEVEL    ACME log level (debug|info|warning)     [info]
#   BRIDGE_LOG_LEVEL  bridge --log-level                      [info]
#   OUT               run directory      [${TMPDIR:-/tmp}/acme-suite-runs/<mode>-<time>]
#
# Output in $OUT: summary.txt, suite.log (test runner), acme/ (ACME's ini and
# logs), bridge.log. Exit code: 0 when the suite ran (whatever its failures),
# 1 when something could not be started.
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
BRIDGE_DIR=$1; MODE=$2; shift 2
case "$MODE" in http|acme-ws|bridge-ws) ;; *) echo "run-suite.sh: unknown mode '$MODE' (http, acme-ws, bridge-ws)" >&2; exit 2;; esac

HERE=$(cd "$(dirname "$0")" && pwd)
ACME_DIR=${ACME_DIR:-/work/acme}
ACME_PYTHON=${ACME_PYTHON:-/tmp/acme-venv/bin/python}
ACME_ENV=${ACME_ENV:-/tmp/acme-deps/env.sh}
ALLOW_ORIGINATOR=${ALLOW_ORIGINATOR:-C*,S*}
BRIDGE_ARGS=${BRIDGE_ARGS:-}
ACME_LOG_LEVEL=${ACME_LOG_LEVEL:-info}
BRIDGE_LOG_LEVEL=${BRIDGE_LOG_LEVEL:-info}
OUT=${OUT:-${TMPDIR:-/tmp}/acme-suite-runs/$MODE-$(date +%Y%m%d-%H%M%S)}
INI_TEMPLATE=${INI_TEMPLATE:-$HERE/acme.ini.template}

fail() { echo "run-suite.sh: $*" >&2; exit 1; }
[ -f "$ACME_DIR/acmecse/etc/Constants.py" ] || fail "no ACME checkout at ACME_DIR=$ACME_DIR"
[ -x "$ACME_PYTHON" ] || fail "no python at ACME_PYTHON=$ACME_PYTHON"
[ -f "$INI_TEMPLATE" ] || fail "no ACME ini template at $INI_TEMPLATE"
if [ "$MODE" = bridge-ws ]; then
  BRIDGE_DIR=$(cd "$BRIDGE_DIR" && pwd) || fail "no bridge directory $BRIDGE_DIR"
  [ -f "$BRIDGE_DIR/dist/cli/main.js" ] || fail "$BRIDGE_DIR/dist/cli/main.js missing: run npm run build there"
fi
if [ -f "$ACME_ENV" ]; then . "$ACME_ENV"; fi
export PYTHONPATH="$ACME_DIR${PYTHONPATH:+:$PYTHONPATH}"

mkdir -p "$OUT/acme"
OUT=$(cd "$OUT" && pwd)

# Free ports: bound to port 0 and released. The notification and "wrong
# notification" ports of the suite (fixed 9990 and 6666 in its config.py) and
# the remote CSE port (8081, nothing listens: the remote tests are skipped as
# they are in a plain single-CSE run) are moved to free ports too.
read -r HTTP_PORT WS_PORT DL_PORT ADMIN_PORT NOTIF_PORT NOTIFW_PORT REMOTE_PORT < <("$ACME_PYTHON" - <<'EOF'
import socket
socks = []
for _ in range(7):
    s = socket.socket(); s.bind(('127.0.0.1', 0)); socks.append(s)
print(' '.join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
)

PGIDS=()
cleanup() {
  local rc=$?
  for pg in "${PGIDS[@]}"; do kill -TERM -- "-$pg" 2>/dev/null || true; done
  for pg in "${PGIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 -- "-$pg" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pg" 2>/dev/null || true
  done
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() {  # host port seconds what
  for _ in $(seq 1 $(( $3 * 5 ))); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  fail "$4 did not listen on $1:$2 within $3 s"
}

# --- ACME, fresh in-memory database -------------------------------------
WS_ENABLE=false; [ "$MODE" = acme-ws ] && WS_ENABLE=true
sed -e "s/@HTTP_PORT@/$HTTP_PORT/" -e "s/@WS_PORT@/$WS_PORT/" -e "s/@WS_ENABLE@/$WS_ENABLE/" \
    -e "s/@LOG_LEVEL@/$ACME_LOG_LEVEL/" "$INI_TEMPLATE" > "$OUT/acme/acme.ini"
( cd "$ACME_DIR" && exec setsid "$ACME_PYTHON" -m acmecse --base-directory "$OUT/acme" --config acme.ini \
    --headless --db-type memory --http-port "$HTTP_PORT" --network-interface 127.0.0.1 \
    > "$OUT/acme/stdout.log" 2>&1 < /dev/null ) &
PGIDS+=($!)
wait_port 127.0.0.1 "$HTTP_PORT" 90 "ACME (HTTP)"
[ "$MODE" = acme-ws ] && wait_port 127.0.0.1 "$WS_PORT" 30 "ACME (WebSocket)"
ACME_VERSION=$(cd "$ACME_DIR" && "$ACME_PYTHON" -c 'from acmecse.etc.Constants import Constants as C; print(C.version)')
ACME_COMMIT=$(git -C "$ACME_DIR" rev-parse HEAD 2>/dev/null || echo unknown)

# --- bridge ---------------------------------------------------------------
BRIDGE_VERSION=-
if [ "$MODE" = bridge-ws ]; then
  BRIDGE_VERSION="$(node -p "require('$BRIDGE_DIR/package.json').version" 2>/dev/null || echo unknown) ($(git -C "$BRIDGE_DIR" rev-parse --short HEAD 2>/dev/null || echo no-git))"
  # shellcheck disable=SC2086
  ( cd "$OUT" && exec setsid node "$BRIDGE_DIR/dist/cli/main.js" \
      --upstream "http://127.0.0.1:$HTTP_PORT" --store memory \
      --listen "127.0.0.1:$WS_PORT" --downlink-listen "127.0.0.1:$DL_PORT" \
      --admin-listen "127.0.0.1:$ADMIN_PORT" \
      --cse-id /id-in --sp-id acme.example.com \
      --allow-originator "$ALLOW_ORIGINATOR" --log-level "$BRIDGE_LOG_LEVEL" $BRIDGE_ARGS \
      > "$OUT/bridge.log" 2>&1 < /dev/null ) &
  PGIDS+=($!)
  for _ in $(seq 1 150); do
    if "$ACME_PYTHON" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$ADMIN_PORT/readyz', timeout=1)" 2>/dev/null; then break; fi
    sleep 0.2
  done
  "$ACME_PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$ADMIN_PORT/readyz', timeout=1)" 2>/dev/null \
    || fail "bridge not ready on 127.0.0.1:$ADMIN_PORT/readyz (see $OUT/bridge.log)"
fi

# --- the suite: a copy of ACME's tests/ with a generated config.py ---------
BINDING=http; [ "$MODE" != http ] && BINDING=ws
rm -rf "$OUT/tests"; cp -r "$ACME_DIR/tests" "$OUT/tests"
"$ACME_PYTHON" - "$OUT/tests/config.py" "$BINDING" "$HTTP_PORT" "$WS_PORT" "$NOTIF_PORT" "$NOTIFW_PORT" "$REMOTE_PORT" <<'EOF'
import re, sys
path, binding, http_port, ws_port, notif, notifw, remote = sys.argv[1:]
text = open(path).read()
def setv(name, value):
    global text
    text, n = re.subn(rf'^({name}\s*(?::[^=]*)?=\s*)[^\t#\n]+', lambda m: m.group(1) + value, text, count=1, flags=re.M)
    if n != 1: sys.exit(f'config.py: no assignment of {name}')
setv('BINDING', repr(binding))
setv('TARGETHOST', "'127.0.0.1'")
setv('TESTHOSTIP', "'127.0.0.1'")
setv('CSEPORT', http_port)        # ACME's HTTP port: Upper Tester and, in http mode, the requests
setv('wsPort', ws_port)           # ws mode: ACME's WebSocket port or the bridge's public door
setv('NOTIFICATIONPORT', notif)
text = text.replace(':6666', ':' + notifw)
text = text.replace('localhost:8081', '127.0.0.1:' + remote)
open(path, 'w').write(text)
EOF

{
  echo "mode:    $MODE"
  echo "acme:    $ACME_VERSION ($ACME_COMMIT) http 127.0.0.1:$HTTP_PORT$([ "$MODE" = acme-ws ] && echo ", ws 127.0.0.1:$WS_PORT")"
  [ "$MODE" = bridge-ws ] && echo "bridge:  $BRIDGE_VERSION ws 127.0.0.1:$WS_PORT, --allow-originator '$ALLOW_ORIGINATOR' $BRIDGE_ARGS"
  echo "started: $(date -u +%FT%TZ)"
} > "$OUT/header.txt"
cat "$OUT/header.txt"
echo "running the suite (log: $OUT/suite.log)"

set +e
( cd "$OUT/tests" && COLUMNS=200 "$ACME_PYTHON" runTests.py --no-failfast --local-notification-server "$@" ) > "$OUT/suite.log" 2>&1 < /dev/null
SUITE_RC=$?
set -e

# --- summary --------------------------------------------------------------
"$ACME_PYTHON" - "$OUT/suite.log" "$SUITE_RC" > "$OUT/summary.body" <<'EOF'
import re, sys
log = open(sys.argv[1], errors='replace').read()
ran = sum(int(n) for n in re.findall(r'^Ran (\d+) tests? in', log, flags=re.M))
skipped = sum(int(n) for n in re.findall(r'^(?:OK|FAILED) \(.*?skipped=(\d+)', log, flags=re.M))
# unittest's report: "FAIL: test_x (module.Class.test_x)", "ERROR: setUpClass (module.Class)"
blocks = re.findall(r'^={10,}\n(FAIL|ERROR): (\S+) \(([\w.]+)\)\n(?:(?!-{10,})[^\n]*\n)?-{10,}\n(.*?)(?=^={10,}\n|^-{10,}\nRan )', log, flags=re.M | re.S)
failed = []
for kind, name, where, tb in blocks:
    mod = where.split('.')[0]
    last = [l for l in tb.strip().splitlines() if l.strip()]
    failed.append((f'{mod}.{name}', kind, last[-1].strip() if last else ''))
print(f'runner exit: {sys.argv[2]}')
print(f'ran:     {ran}')
print(f'skipped: {skipped}')
print(f'failed:  {len(failed)}')
print(f'passed:  {ran - skipped - len(failed)}')
print()
for name, kind, msg in sorted(failed):
    print(f'{kind:5} {name}  --  {msg[:200]}')
EOF
cat "$OUT/header.txt" "$OUT/summary.body" > "$OUT/summary.txt"; rm -f "$OUT/summary.body"
echo "finished: $(date -u +%FT%TZ)" >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
echo "run directory: $OUT"

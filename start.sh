#!/usr/bin/env bash
# start.sh: run nomad-backup-operator against a local Nomad agent.
#
# Usage:
#   ./start.sh          build the jar if needed, start a local Nomad agent and
#                       the operator
#   ./start.sh stop     stop what an earlier ./start.sh left running
#   ./start.sh --help
#
# What it does:
#   1. builds target/nomad-backup-operator.jar (mvn -q -B -DskipTests package)
#      when it is missing or older than src/, pom.xml or backup.nomad.tmpl;
#   2. gets a Nomad binary through scripts/nomad-binary (pinned version, cached);
#   3. starts a Nomad agent on 127.0.0.1 with its data and log in .run/: first
#      `nomad agent -dev` (server and client); if that gets no leader and no
#      ready node within ~20 s (its client part can fail inside containers), a
#      server-only agent instead, where jobs register and periodic jobs launch
#      but allocations stay pending. The state starts empty on every start;
#      The client part offers the host volume "backups" at .run/backups, where
#      the backup jobs' dumps land (kept across restarts);
#   4. waits for the agent's leader, then runs
#      `java -jar target/nomad-backup-operator.jar` with NOMAD_ADDR set.
#   With tmux (and START_NO_TMUX unset) it opens a tmux session "nomad-backup"
#   with three panes: agent log, operator, and a shell with NOMAD_ADDR set and
#   nomad on PATH. Stop it with `./start.sh stop` (or kill the tmux session).
#   Without tmux both run in the background with logs in .run/nomad.log and
#   .run/operator.log; Ctrl-C stops everything.
#
# Environment:
#   NOMAD_PORT=4646        HTTP port of the agent (RPC and Serf use the next two)
#   NOMAD_VERSION, NOMAD_BINARY
#                          which Nomad to use (see scripts/nomad-binary --help)
#   START_NO_TMUX=1        do not use tmux even when it is installed
#   START_SKIP_OPERATOR=1  start only the Nomad agent (no jar build, no operator)
#   START_AGENT_MODE=auto  auto (try -dev, fall back), dev, or server (server-only)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"

readonly run_dir=$root/.run
readonly jar=target/nomad-backup-operator.jar
readonly session=nomad-backup
readonly agent_pid_file=$run_dir/nomad.pid
readonly operator_pid_file=$run_dir/operator.pid
readonly tmux_socket_file=$run_dir/tmux.socket

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'start.sh: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "${BASH_SOURCE[0]}"; }

# pid_is PIDFILE PATTERN: print the pid in PIDFILE if that process is alive and
# its command line contains PATTERN (so a reused pid is never killed).
pid_is() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  case "$(ps -p "$pid" -o args= 2>/dev/null)" in
    *"$2"*) printf '%s\n' "$pid" ;;
    *) return 1 ;;
  esac
}

# alive PID: the process exists and is not a zombie (an exited child of ours).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -p "$1" -o stat= 2>/dev/null)" in Z*|"") return 1 ;; esac
}

# stop_pid PID SIGNAL SECONDS NAME: send SIGNAL, wait up to SECONDS, then SIGKILL.
stop_pid() {
  local pid=$1 sig=$2 secs=$3 name=$4 i
  alive "$pid" || return 0
  say "stopping $name (pid $pid)"
  kill -s "$sig" "$pid" 2>/dev/null || true
  for (( i = 0; i < secs * 5; i++ )); do
    alive "$pid" || return 0
    sleep 0.2
  done
  say "$name did not stop in ${secs}s; killing it"
  kill -s KILL "$pid" 2>/dev/null || true
}

stop_operator() {
  local pid
  if pid=$(pid_is "$operator_pid_file" nomad-backup-operator.jar); then
    stop_pid "$pid" TERM 15 operator
  fi
  rm -f "$operator_pid_file"
}

stop_agent() {
  local pid
  if pid=$(pid_is "$agent_pid_file" agent); then
    stop_pid "$pid" INT 20 "Nomad agent"
  fi
  rm -f "$agent_pid_file"
}

# have_tmux_session [SOCKET]: the session exists on the tmux server at SOCKET
# (default: the server a plain `tmux` command talks to).
have_tmux_session() {
  command -v tmux >/dev/null 2>&1 || return 1
  if [ -n "${1:-}" ]; then
    tmux -S "$1" has-session -t "=$session" 2>/dev/null
  else
    tmux has-session -t "=$session" 2>/dev/null
  fi
}

# --- subcommands --------------------------------------------------------------

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  stop)
    # The session lives on the tmux server it was started from (recorded).
    sock=$(cat "$tmux_socket_file" 2>/dev/null || true)
    [ -S "$sock" ] || sock=
    if have_tmux_session "$sock"; then
      say "closing tmux session $session"
      if [ -n "$sock" ]; then tmux -S "$sock" kill-session -t "=$session"; else tmux kill-session -t "=$session"; fi
    fi
    rm -f "$tmux_socket_file"
    stop_operator
    stop_agent
    exit 0 ;;
  __watch)
    # Internal: started in the background in tmux mode. When the tmux session
    # (on the server at socket $3) is gone, stop the agent it was started with
    # (pid $2), if that is still running.
    while have_tmux_session "${3:-}"; do sleep 2; done
    if [ "$(cat "$agent_pid_file" 2>/dev/null)" = "${2:-}" ]; then
      stop_operator
      stop_agent
    fi
    exit 0 ;;
  "") ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac

# --- settings ---------------------------------------------------------------------

port=${NOMAD_PORT:-4646}
[[ $port =~ ^[0-9]+$ ]] && (( port > 0 && port < 65534 )) || die "NOMAD_PORT must be a port number, got '$port'"
rpc_port=$((port + 1))
serf_port=$((port + 2))
addr=http://127.0.0.1:$port
mode=${START_AGENT_MODE:-auto}
case "$mode" in auto|dev|server) ;; *) die "START_AGENT_MODE must be auto, dev or server" ;; esac
skip_operator=${START_SKIP_OPERATOR:-}
[ "$skip_operator" = 0 ] && skip_operator=
use_tmux=
if [ -z "${START_NO_TMUX:-}" ] || [ "${START_NO_TMUX}" = 0 ]; then
  command -v tmux >/dev/null 2>&1 && use_tmux=1
fi

# --- checks before starting anything --------------------------------------------

port_busy() {
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

if [ -n "$use_tmux" ] && have_tmux_session; then
  die "tmux session '$session' is already running: attach with 'tmux attach -t $session', or stop it with './start.sh stop'"
fi
if pid=$(pid_is "$agent_pid_file" agent); then
  die "a Nomad agent started by ./start.sh is still running (pid $pid): stop it with './start.sh stop'"
fi
for p in "$port" "$rpc_port" "$serf_port"; do
  if port_busy "$p"; then
    die "port $p on 127.0.0.1 is already in use (another Nomad agent? './start.sh stop' stops one started here; or pick other ports with NOMAD_PORT=...; this agent needs $port-$serf_port)"
  fi
done

# The local agent runs without ACLs or TLS: settings for another cluster in
# this environment would only get in the way of the operator and the CLI.
client_vars=(NOMAD_TOKEN NOMAD_REGION NOMAD_NAMESPACE NOMAD_HTTP_AUTH NOMAD_CACERT NOMAD_CAPATH
  NOMAD_CLIENT_CERT NOMAD_CLIENT_KEY NOMAD_TLS_SERVER_NAME NOMAD_SKIP_VERIFY)
ignored=()
for v in "${client_vars[@]}"; do
  if [ -n "${!v+x}" ]; then ignored+=("$v"); unset "$v"; fi
done
[ ${#ignored[@]} -eq 0 ] || say "ignoring ${ignored[*]} from the environment (the local agent has no ACLs or TLS)"

# --- 1. the jar --------------------------------------------------------------------

if [ -z "$skip_operator" ]; then
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK (or START_SKIP_OPERATOR=1 to start only Nomad)"
  stale=
  if [ ! -f "$jar" ]; then
    stale="it does not exist yet"
  else
    inputs=()
    for f in src pom.xml backup.nomad.tmpl templates; do [ -e "$f" ] && inputs+=("$f"); done
    if [ ${#inputs[@]} -gt 0 ] && [ -n "$(find "${inputs[@]}" -newer "$jar" -print 2>/dev/null | head -n 1)" ]; then
      stale="sources changed since it was built"
    fi
  fi
  if [ -n "$stale" ]; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven to build $jar"
    say "building $jar ($stale): mvn -q -B -DskipTests package"
    mvn -q -B -DskipTests package || die "the Maven build failed"
    [ -f "$jar" ] || die "the Maven build did not produce $jar"
  fi
fi

# --- 2. Nomad ------------------------------------------------------------------------

nomad=$("$root/scripts/nomad-binary") || die "could not get a Nomad binary (see above)"
nomad_dir=$(dirname "$nomad")
say "using $("$nomad" version | head -n 1) ($nomad)"

# --- 3. the agent ---------------------------------------------------------------------

mkdir -p "$run_dir"
rm -f "$run_dir/nomad-dev.log" "$run_dir/operator.log"     # logs of an earlier run
# The host volume the backup templates mount (meta backup-volume, "backups" by
# default). Unlike the agent's state it survives restarts: it holds the dumps.
readonly backups_dir=$run_dir/backups
mkdir -p "$backups_dir"
cat >"$run_dir/nomad.hcl" <<EOF
# Written by start.sh on every start; edits are lost.
ports {
  http = $port
  rpc  = $rpc_port
  serf = $serf_port
}

advertise {
  http = "127.0.0.1"
  rpc  = "127.0.0.1"
  serf = "127.0.0.1"
}

# Only used by the -dev agent's client. The cloud fingerprinters probe cloud
# metadata addresses, which a local setup has no use for. The host volume is
# where backup jobs write their dumps: <namespace>/<job>/<UTC time>.dump.
client {
  options {
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }

  host_volume "backups" {
    path      = "$backups_dir"
    read_only = false
  }
}
EOF

agent_pid=
operator_pid=
handed_over=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -z "$handed_over" ]; then
    stop_operator
    stop_agent
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo >&2; exit 130' INT
trap 'exit 143' TERM

api_get() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 3 "$addr$1" 2>/dev/null
  else
    "$nomad" operator api -address="$addr" "$1" 2>/dev/null
  fi
}
has_leader() { api_get /v1/status/leader | grep -q '"[^"]'; }
has_ready_node() { api_get /v1/nodes | grep -q '"Status":"ready"'; }

# start_agent MODE: start the agent in the background (pid in $agent_pid).
start_agent() {
  local data_dir args
  if [ "$1" = dev ]; then
    data_dir=$run_dir/nomad-dev-data
    args=(agent -dev -bind=127.0.0.1 "-data-dir=$data_dir" "-config=$run_dir/nomad.hcl")
  else
    data_dir=$run_dir/nomad-data
    args=(agent -server -bootstrap-expect=1 "-data-dir=$data_dir" -bind=127.0.0.1 "-config=$run_dir/nomad.hcl")
  fi
  # Start from an empty state, as `nomad agent -dev` always does.
  rm -rf "$data_dir" 2>/dev/null || say "warning: could not empty $data_dir"
  mkdir -p "$data_dir"
  say "starting: nomad ${args[*]//"$root/"/}"
  "$nomad" "${args[@]}" </dev/null >"$run_dir/nomad.log" 2>&1 &
  agent_pid=$!
  echo "$agent_pid" >"$agent_pid_file"
}

# wait_agent SECONDS NEED_NODE: wait for a leader (and a ready client node).
wait_agent() {
  local deadline=$((SECONDS + $1)) need_node=$2
  while (( SECONDS < deadline )); do
    kill -0 "$agent_pid" 2>/dev/null || return 1
    if has_leader && { [ -z "$need_node" ] || has_ready_node; }; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

agent_kind=
if [ "$mode" != server ]; then
  start_agent dev
  if wait_agent 20 node; then
    agent_kind="dev agent, server + client"
  else
    if kill -0 "$agent_pid" 2>/dev/null; then
      reason="no leader and ready node within 20s"
    else
      reason="it exited"
    fi
    stop_agent
    mv -f "$run_dir/nomad.log" "$run_dir/nomad-dev.log"
    [ "$mode" = dev ] && { tail -n 15 "$run_dir/nomad-dev.log" >&2; die "nomad agent -dev did not come up ($reason); log: .run/nomad-dev.log"; }
    say "nomad agent -dev did not come up ($reason); its log is in .run/nomad-dev.log:"
    grep -E '\[ERROR\]|Error' "$run_dir/nomad-dev.log" | tail -n 3 | sed 's/^/    /' >&2 || true
    say "falling back to a server-only agent (jobs register, allocations stay pending)"
  fi
fi
if [ -z "$agent_kind" ]; then
  start_agent server
  if ! wait_agent 60 ""; then
    tail -n 20 "$run_dir/nomad.log" >&2
    die "the Nomad agent did not get a leader within 60s (log: .run/nomad.log)"
  fi
  agent_kind="server-only agent"
fi
say "Nomad is up at $addr ($agent_kind; leader $(api_get /v1/status/leader))"
if [ "$agent_kind" = "server-only agent" ]; then
  say "no client here: backup jobs register but do not run"
else
  say "host volume \"backups\" (the dumps of backup jobs): $backups_dir"
fi

# --- 4. the operator ----------------------------------------------------------------

q() { printf '%q' "$1"; }
hint="Nomad: $addr ($agent_kind), log .run/nomad.log
Try:   nomad job run examples/example.nomad
       nomad job status                     # backup-example appears next to example
       nomad job run examples/example-no-backup.nomad
Dumps: nomad job periodic force backup-example   # needs Docker and a PostgreSQL at backup-pg-host
       ls .run/backups/default/example/            # README, \"Backups\""

if [ -n "$use_tmux" ]; then
  # Pane commands. Each pane runs bash -c with a script built here; paths are
  # quoted with %q. Closing the session sends SIGHUP, which stops the operator.
  # A tmux server that was already running does not pass this environment on,
  # so the panes get the operator's settings (OPERATOR_*, LOG_LEVEL, Java's)
  # explicitly, and none of the cluster settings ignored above.
  env_setup="cd $(q "$root") && unset ${client_vars[*]} && export NOMAD_ADDR=$(q "$addr") && export PATH=$(q "$nomad_dir"):\"\$PATH\""
  for v in $(compgen -e); do
    if [[ $v =~ ^(OPERATOR_[A-Z0-9_]+|LOG_LEVEL|JAVA_HOME|JAVA_TOOL_OPTIONS)$ ]]; then
      env_setup+=" && export $v=$(q "${!v}")"
    fi
  done
  log_cmd="cd $(q "$root") && tail -n +1 -F .run/nomad.log"
  if [ -n "$skip_operator" ]; then
    op_cmd="$env_setup && echo 'operator not started (START_SKIP_OPERATOR=1)' && exec bash"
  else
    # tee ignores SIGINT (inherited), so Ctrl-C here still shows the
    # operator's shutdown output; afterwards the pane becomes a shell. The
    # session's end (SIGHUP) stops the operator, so it needs no pid file.
    op_cmd="$env_setup && echo '+ java -jar $jar' && java -jar $jar 2>&1 | (trap '' INT; exec tee .run/operator.log); echo \"[operator exited with code \${PIPESTATUS[0]}; run it again with: java -jar $jar]\"; exec bash"
  fi
  sh_cmd="$env_setup && printf '%s\n' $(q "$hint") 'Stop everything: ./start.sh stop' && exec \"\${SHELL:-bash}\""

  log_pane=$(tmux new-session -d -P -F '#{pane_id}' -s "$session" -n nomad-backup -x 200 -y 50 -c "$root" "bash -c $(q "$log_cmd")")
  op_pane=$(tmux split-window -v -P -F '#{pane_id}' -t "$log_pane" -c "$root" "bash -c $(q "$op_cmd")")
  sh_pane=$(tmux split-window -h -P -F '#{pane_id}' -t "$op_pane" -c "$root" "bash -c $(q "$sh_cmd")")
  tmux select-pane -t "$log_pane" -T "nomad agent log"
  tmux select-pane -t "$op_pane" -T "operator"
  tmux select-pane -t "$sh_pane" -T "shell"
  tmux set-window-option -t "$log_pane" pane-border-status top >/dev/null 2>&1 || true
  tmux select-pane -t "$sh_pane"
  tmux_socket=$(tmux display-message -p -t "$log_pane" '#{socket_path}')
  echo "$tmux_socket" >"$tmux_socket_file"

  # The agent is not inside the session: a watcher stops it when the session ends.
  nohup "$root/start.sh" __watch "$agent_pid" "$tmux_socket" </dev/null >/dev/null 2>&1 &
  handed_over=1

  say "tmux session '$session': agent log | operator | shell"
  say "stop everything with ./start.sh stop (or tmux kill-session -t $session)"
  if [ -t 0 ] && [ -t 1 ]; then
    if [ -n "${TMUX:-}" ]; then
      tmux switch-client -t "=$session" && exit 0
    else
      tmux attach-session -t "=$session" && exit 0
    fi
  fi
  say "no terminal here: attach with 'tmux attach -t $session'"
  exit 0
fi

# No tmux: everything in the background, logs in .run/.
logs=.run/nomad.log
if [ -z "$skip_operator" ]; then
  say "starting the operator: java -jar $jar (log .run/operator.log)"
  NOMAD_ADDR=$addr java -jar "$jar" </dev/null >"$run_dir/operator.log" 2>&1 &
  operator_pid=$!
  echo "$operator_pid" >"$operator_pid_file"
  logs="$logs .run/operator.log"
fi

cat >&2 <<EOF

$hint
       (in another terminal: export NOMAD_ADDR=$addr PATH="$nomad_dir:\$PATH")
Logs:  tail -f $logs
Press Ctrl-C to stop everything.
EOF

# Wait until one of them exits (or Ctrl-C), then stop the other.
while :; do
  if ! kill -0 "$agent_pid" 2>/dev/null; then
    wait "$agent_pid" 2>/dev/null && rc=0 || rc=$?
    say "the Nomad agent exited (code $rc); last lines of .run/nomad.log:"
    tail -n 10 "$run_dir/nomad.log" >&2
    exit 1
  fi
  if [ -n "$operator_pid" ] && ! kill -0 "$operator_pid" 2>/dev/null; then
    wait "$operator_pid" 2>/dev/null && rc=0 || rc=$?
    say "the operator exited (code $rc); last lines of .run/operator.log:"
    tail -n 10 "$run_dir/operator.log" >&2
    [ "$rc" -eq 0 ] && exit 1 || exit "$rc"
  fi
  sleep 1 &
  wait $! || true
done

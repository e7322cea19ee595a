#!/bin/sh
# The FRR sidecar's entrypoint: FRR's daemons for the speaker (zebra, bfdd, bgpd), watched by
# watchfrr, then the metallb-ts FRR agent in the foreground (the container lives as long as it).
# /etc/frr, /run/frr, /var/lib/frr, /var/run/frr-agent and /tmp are emptyDirs, shared with
# nothing but the speaker (the agent's socket); the root filesystem stays read-only.
#
# `start.sh start|stop|restart <daemon|all>` is what watchfrr runs to bring a daemon back: FRR's
# own watchfrr.sh needs bash and /etc/frr/daemons, and would start the daemons with other flags.
set -eu
FRR=/usr/lib/frr
CONF=/etc/frr
RUN=/run/frr
DAEMONS="zebra bfdd bgpd"

# The daemons stay root (-u/-g): dropping to the frr user would need CHOWN, SETUID, SETGID and
# DAC_OVERRIDE besides the three network capabilities the pod grants (docs/distribution.md).
start_daemon() {
  "$FRR/$1" -d -u root -g root -F traditional -A 127.0.0.1 --vty_socket "$RUN" -i "$RUN/$1.pid"
}

# A daemon brought back alone gets the last configuration FRR took (the agent keeps it in
# frr.conf), as FRR's own watchfrr.sh does, so its sessions return without waiting for the
# speaker. At container start the speaker's first reload follows anyway.
load_saved() {
  [ -r "$CONF/frr.conf" ] || return 0
  vtysh --vty_socket "$RUN" -b -d "$1" ||
    echo "$1 did not take the saved configuration; the speaker's next reload will" >&2
}

# Whether a process still runs: an exited daemon stays a zombie until PID 1 reaps it.
running() {
  [ -r "/proc/$1/status" ] || return 1
  while read -r key value _; do
    if [ "$key" = State: ]; then
      [ "$value" != Z ]
      return
    fi
  done <"/proc/$1/status"
  return 1
}

stop_daemon() {
  pid=$(cat "$RUN/$1.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || return 0
  # A daemon that does not stop within 10 s is killed, so that the restart can bind again.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    running "$pid" || return 0
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null || true
}

if [ $# -eq 2 ]; then
  if [ "$2" = all ]; then set -- "$1" $DAEMONS; fi
  action=$1
  shift
  for d in "$@"; do
    case "$action" in
      start) start_daemon "$d" && load_saved "$d" ;;
      stop) stop_daemon "$d" ;;
      restart)
        stop_daemon "$d"
        start_daemon "$d" && load_saved "$d"
        ;;
      *)
        echo "usage: start.sh [start|stop|restart <daemon|all>]" >&2
        exit 2
        ;;
    esac
  done
  exit 0
fi

mkdir -p "$RUN" /var/run/frr-agent /var/tmp/frr
# The last configuration FRR took (the agent keeps it): a restarted container boots with it,
# so routes stay announced while the speaker catches up.
[ -f "$CONF/frr.conf" ] || echo "frr defaults traditional" >"$CONF/frr.conf"
# vtysh asks PAM about any user not named here, and the image has no PAM stack (no maintainer
# scripts ran), so root is named: the socket directory is what guards FRR's vty, not a login.
printf 'service integrated-vtysh-config\nusername root nopassword\n' >"$CONF/vtysh.conf"
for d in $DAEMONS; do start_daemon "$d"; done
self="/bin/sh $0"
"$FRR/watchfrr" -d -F traditional -S "$RUN" --vty_socket "$RUN" \
  -s "$self start %s" -k "$self stop %s" -r "$self restart %s" $DAEMONS
vtysh --vty_socket "$RUN" -b || echo "FRR did not take the saved configuration; the agent will apply a fresh one" >&2
exec python3 "$(dirname "$0")/agent.py" --socket /var/run/frr-agent/agent.sock --confdir "$CONF" \
  --vty-socket "$RUN" --rundir /var/run/frr-agent

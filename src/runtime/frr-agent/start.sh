#!/bin/sh
# The FRR sidecar's entrypoint: FRR's daemons for the speaker (zebra, bfdd, bgpd), watched by
# watchfrr, then the metallb-ts FRR agent in the foreground (the container lives as long as it).
# /etc/frr, /var/run/frr and /var/run/frr-agent are emptyDirs shared with nothing but the
# speaker (the agent's socket); the root filesystem stays read-only.
set -eu
FRR=/usr/lib/frr
CONF=/etc/frr
RUN=/var/run/frr
mkdir -p "$RUN" /var/run/frr-agent /var/tmp/frr
# The last configuration FRR took (the agent keeps it): a restarted container boots with it,
# so routes stay announced while the speaker catches up.
[ -f "$CONF/frr.conf" ] || echo "frr defaults traditional" >"$CONF/frr.conf"
echo "service integrated-vtysh-config" >"$CONF/vtysh.conf"
# The daemons stay root (-u/-g): dropping to the frr user would need CHOWN, SETUID, SETGID and
# DAC_OVERRIDE besides the three network capabilities the pod grants (docs/distribution.md).
for d in zebra bfdd bgpd; do
  "$FRR/$d" -d -u root -g root -F traditional -A 127.0.0.1 --vty_socket "$RUN" -i "$RUN/$d.pid"
done
"$FRR/watchfrr" -d -F traditional --vty_socket "$RUN" zebra bfdd bgpd
vtysh --vty_socket "$RUN" -b || echo "FRR did not take the saved configuration; the agent will apply a fresh one" >&2
exec python3 "$(dirname "$0")/agent.py" --socket /var/run/frr-agent/agent.sock --confdir "$CONF" \
  --vty-socket "$RUN" --rundir /var/run/frr-agent

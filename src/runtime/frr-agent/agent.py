#!/usr/bin/env python3
# metallb-ts FRR agent: runs beside FRR (the FRR sidecar of the speaker Pod, or a lab node) and
# is the speaker's only way into it. The speaker sends a whole configuration; the agent checks it
# with vtysh's dry run, applies the difference with FRR's own frr-reload.py (or, when the change
# only adds lines, just those lines through vtysh), and keeps the file only once FRR runs it, so a
# restarted FRR boots the last good configuration. It also answers `show … json` commands, which
# is how the speaker reads back what FRR runs. As the FRR container's PID 1 it reaps orphans.
#
# Protocol: a Unix stream socket; one JSON request line, one JSON answer line, then close.
#   {"op": "reload", "config": "<frr.conf text>"} -> {"ok": true, "ms": 812, "incremental": false}
#                                                  | {"ok": false, "stage": "check"|"reload", "message": "..."}
#   {"op": "show", "command": "show bfd peers json"} -> {"ok": true, "output": "..."}
#   {"op": "show", "commands": ["show … json", …]} -> {"ok": true, "values": [<parsed JSON>, …]}
# Standard library only: the FRR image carries Python for frr-reload.py and nothing else.
import argparse
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
import time

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Lines of vtysh and frr-reload.py output that say what FRR refused.
ERROR_LINE = re.compile(r"^(%|line \d+:)|ERROR|error|Unknown command|Failure")
SHOW = re.compile(r"^show [ -~]+$")
# Lines that open a block in FRR's printed configuration, by depth: (router bgp …, route-map …,
# bfd, interface …, vrf …) at the top, (address-family …, profile …, peer …) inside them.
OPENERS = (
    re.compile(r"^(router |route-map |bfd$|interface |vrf )"),
    re.compile(r"^(address-family |profile |peer )"),
)
CLOSERS = {"exit", "exit-address-family", "exit-vrf"}


def items(text):
    """The configuration as (block path, line) pairs: what each line means, wherever it sits."""
    out = []
    path = []
    for raw in text.splitlines():
        line = raw.rstrip()
        word = line.strip()
        if not word or word in ("!", "end"):
            continue
        depth = len(line) - len(word)
        if word in CLOSERS:
            del path[depth:]
            continue
        del path[depth:]
        out.append((tuple(path), word))
        if depth < len(OPENERS) and OPENERS[depth].match(word):
            path.append(word)
    return out


def closer(opener):
    return "exit-address-family" if opener.startswith("address-family") else "exit"


def additions_script(old, new):
    """vtysh commands that turn `old` into `new` when `new` only adds lines, else None.

    Definitions (prefix-lists, route-maps, BFD profiles) come before the `router bgp` lines that
    use them, so a new prefix is announced through a route-map that already matches it rather
    than after FRR's route-map update delay.
    """
    before, after = items(old), items(new)
    known = set(before)
    if not known.issubset(after):
        return None
    added = [i for i in after if i not in known]
    if not added:
        return None
    # Grouped by block, in two phases: everything but the router blocks, then the router blocks
    # (a new `router bgp …` opener included).
    groups = {}
    for path, word in added:
        phase = 1 if (path[0] if path else word).startswith("router ") else 0
        groups.setdefault((phase, path), []).append(word)
    lines = []
    for phase, path in sorted(groups, key=lambda k: k[0]):
        for depth, opener in enumerate(path):
            lines.append(" " * depth + opener)
        for word in groups[(phase, path)]:
            lines.append(" " * len(path) + word)
            if len(path) < len(OPENERS) and OPENERS[len(path)].match(word):
                # A block that is new as a whole: its lines are in its own group.
                lines.append(" " * len(path) + closer(word))
        for depth in reversed(range(len(path))):
            lines.append(" " * depth + closer(path[depth]))
    return "\n".join(lines) + "\n"


def log(msg, **fields):
    fields.update(time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), msg=msg)
    print(json.dumps(fields), file=sys.stderr, flush=True)


class Children:
    """The agent's own subprocesses, so that reaping orphans never takes their exit status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pids = set()

    def run(self, argv, timeout):
        with self.lock:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.pids.add(proc.pid)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        finally:
            with self.lock:
                self.pids.discard(proc.pid)
        return proc.returncode, out or "", err or ""

    def reap_orphans(self):
        """As PID 1 of the container, collects exited daemons watchfrr has to restart.

        A daemon started with -d is re-parented to PID 1 when it forks away; unreaped, it stays
        a zombie that still looks alive to the restart's `kill -0`-style checks.
        """
        me = str(os.getpid())
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # pid (comm) state ppid …; comm may hold spaces and parentheses.
                    state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            except (OSError, IndexError, ValueError):
                continue
            if state != "Z" or ppid != me:
                continue
            pid = int(entry)
            with self.lock:
                if pid in self.pids:
                    continue
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass


class Agent:
    def __init__(self, args):
        self.confdir = args.confdir
        self.vty = args.vty_socket
        self.vtysh = args.vtysh
        self.reloader = args.frr_reload
        self.rundir = args.rundir
        self.lock = threading.Lock()
        self.children = Children()
        # Whether FRR is known to run `current` (this agent applied it in full or added to it);
        # the saved file a restarted container boots with is not trusted until then.
        self.trusted = False
        self.current = os.path.join(self.confdir, "frr.conf")
        os.makedirs(self.rundir, exist_ok=True)
        vtysh_conf = os.path.join(self.confdir, "vtysh.conf")
        if not os.path.exists(vtysh_conf):
            with open(vtysh_conf, "w") as f:
                f.write("service integrated-vtysh-config\n")

    def run(self, argv, timeout=120, stdout_only=False):
        code, stdout, stderr = self.children.run(argv, timeout)
        return code, ANSI.sub("", stdout + ("" if stdout_only else stderr))

    def refused(self, output):
        lines = []
        for line in output.splitlines():
            line = line.strip()
            if line and ERROR_LINE.search(line) and line not in lines:
                lines.append(line)
        return "; ".join(lines)[:2000] or output.strip()[-2000:]

    def apply(self, path):
        return self.run(
            [
                self.reloader,
                "--reload",
                "--stdout",
                "--vty_socket", self.vty,
                "--bindir", os.path.dirname(self.vtysh),
                "--confdir", self.confdir,
                "--rundir", self.rundir,
                path,
            ]
        )

    def converged(self, path):
        """Whether FRR's running configuration already equals the file (frr-reload.py --test)."""
        # The diff is on stdout; the log lines go to stderr.
        code, out = self.run(
            [
                self.reloader,
                "--test",
                "--vty_socket", self.vty,
                "--bindir", os.path.dirname(self.vtysh),
                "--confdir", self.confdir,
                "--rundir", self.rundir,
                path,
            ],
            stdout_only=True,
        )
        if code != 0:
            return False
        pending = []
        in_diff = False
        for line in out.splitlines():
            if line.startswith("Lines To "):
                in_diff = True
                continue
            if not in_diff or not line.strip() or set(line.strip()) == {"="}:
                continue
            # The host's name is not ours to set; frr-reload.py always lists it.
            if re.match(r"^(no )?hostname ", line.strip()):
                continue
            pending.append(line)
        return not pending

    def reload(self, config):
        if not isinstance(config, str):
            return {"ok": False, "stage": "check", "message": "config must be a string"}
        with self.lock:
            start = time.monotonic()
            new = os.path.join(self.confdir, "frr.conf.new")
            with open(new, "w") as f:
                f.write(config)
            code, out = self.run(
                [self.vtysh, "--vty_socket", self.vty, "--config_dir", self.confdir, "-C", "-f", new]
            )
            if code != 0:
                return {"ok": False, "stage": "check", "message": self.refused(out)}
            code, out, fast = 1, "", False
            previous = self.read(self.current)
            script = additions_script(previous, config) if self.trusted and previous else None
            if script is not None:
                # Only lines added (a new Service's prefix, a new peer): vtysh runs exactly them,
                # instead of frr-reload.py rereading and diffing the whole running configuration.
                code, out = self.add_lines(script)
                fast = code == 0
                if not fast:
                    log("adding the new lines failed; reloading in full", output=self.refused(out))
            if not fast:
                code, out = self.apply(new)
            if code != 0 and self.converged(new):
                # Some commands answer with a warning even as they take effect (FRR 8.4's
                # per-neighbor graceful-restart, "not valid at this moment"): what counts is
                # that FRR now runs exactly the file.
                log("frr-reload.py reported errors but FRR runs the configuration", output=self.refused(out))
                code = 0
            if code != 0:
                # FRR may now run part of the change: only a full reload is trusted next.
                self.trusted = False
                message = self.refused(out)
                # frr-reload.py applies line by line: put back what ran before the failed change.
                if os.path.exists(self.current):
                    back, back_out = self.apply(self.current)
                    if back != 0:
                        message += "; restoring the previous configuration failed too: " + self.refused(back_out)
                return {"ok": False, "stage": "reload", "message": message}
            os.replace(new, self.current)
            # FRR runs this file: later changes that only add lines may be applied alone.
            self.trusted = True
            return {"ok": True, "ms": round((time.monotonic() - start) * 1000), "incremental": fast}

    @staticmethod
    def read(path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return ""

    def add_lines(self, script):
        path = os.path.join(self.confdir, "frr.conf.add")
        with open(path, "w") as f:
            f.write(script)
        return self.run([self.vtysh, "--vty_socket", self.vty, "-f", path])

    def show_all(self, commands):
        """Several `show … json` commands through one vtysh run (one process, one connection to
        each daemon), their outputs split back into one JSON value each."""
        if not isinstance(commands, list) or not commands or not all(
            isinstance(c, str) and SHOW.match(c) for c in commands
        ):
            return {"ok": False, "message": "commands must be single-line show commands"}
        argv = [self.vtysh, "--vty_socket", self.vty]
        for c in commands:
            argv += ["-c", c]
        code, out = self.run(argv, timeout=30, stdout_only=True)
        values, at = [], 0
        decoder = json.JSONDecoder()
        try:
            while len(values) < len(commands):
                while at < len(out) and out[at].isspace():
                    at += 1
                value, at = decoder.raw_decode(out, at)
                values.append(value)
        except ValueError:
            code = code or 1
        if code != 0 or out[at:].strip():
            # A command whose answer is not JSON (an error): ask one by one, to say which.
            values = []
            for c in commands:
                one = self.show(c)
                if not one["ok"]:
                    return one
                values.append(json.loads(one["output"]))
        return {"ok": True, "values": values}

    def show(self, command):
        if not isinstance(command, str) or not SHOW.match(command):
            return {"ok": False, "message": "only single-line show commands are answered"}
        code, out = self.run([self.vtysh, "--vty_socket", self.vty, "-c", command], timeout=30)
        if code != 0:
            return {"ok": False, "message": out.strip()[-2000:]}
        return {"ok": True, "output": out}


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            request = json.loads(self.rfile.readline())
            op = request.get("op")
            if op == "reload":
                answer = self.server.agent.reload(request.get("config"))
                log("reload", ok=answer["ok"], **({"message": answer["message"]} if not answer["ok"] else {}))
            elif op == "show" and "commands" in request:
                answer = self.server.agent.show_all(request.get("commands"))
            elif op == "show":
                answer = self.server.agent.show(request.get("command"))
            else:
                answer = {"ok": False, "message": f"unknown op {op!r}; use reload or show"}
        except Exception as err:  # a bad request must not end the agent
            answer = {"ok": False, "message": f"{type(err).__name__}: {err}"}
        self.wfile.write((json.dumps(answer) + "\n").encode())


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description="metallb-ts FRR agent")
    p.add_argument("--socket", default="/var/run/frr-agent/agent.sock")
    p.add_argument("--confdir", default="/etc/frr")
    p.add_argument("--vty-socket", dest="vty_socket", default="/run/frr")
    p.add_argument("--rundir", default="/var/run/frr-agent")
    p.add_argument("--vtysh", default="/usr/bin/vtysh")
    p.add_argument("--frr-reload", dest="frr_reload", default="/usr/lib/frr/frr-reload.py")
    args = p.parse_args()
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    os.makedirs(os.path.dirname(args.socket), exist_ok=True)
    server = Server(args.socket, Handler)
    os.chmod(args.socket, 0o660)
    server.agent = Agent(args)
    if os.getpid() == 1:
        def reaper():
            while True:
                time.sleep(1)
                server.agent.children.reap_orphans()

        threading.Thread(target=reaper, daemon=True).start()
    log("FRR agent listening", socket=args.socket, confdir=args.confdir)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

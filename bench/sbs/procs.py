"""Process helpers: listening-port checks without connecting, CPU time of a whole session, clean stops."""
import os
import signal
import socket
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def listening_ports():
    """TCP ports in LISTEN state on IPv4/IPv6, read from /proc/net (no connect: a bare TCP connect
    kills the jSCSI target)."""
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if cols[3] == "0A":  # TCP_LISTEN
                        ports.add(int(cols[1].rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return ports


def free_port(start, taken):
    """First port >= start that nobody listens on and that binds on 127.0.0.1."""
    busy = listening_ports() | set(taken)
    port = start
    while True:
        if port not in busy:
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    pass
        port += 1


def wait_listening(port, proc, timeout_s, what):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if port in listening_ports():
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening on {port}")
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout_s} s")


def session_pids(sid):
    """All processes of session `sid` (servers are started with setsid, so the session is the server
    with every child it forks)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid:  # field 6 (session) counted after the comm field
            pids.append(int(entry))
    return pids


def session_cpu_s(sid):
    """utime+stime in seconds of every process of the session. /proc/PID/stat of a process sums all of
    its threads (live and exited), which matters for tgtd: its main thread is only ~2/3 of its cost."""
    total = 0
    for pid in session_pids(sid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def start_session(argv, log_path, env=None, cwd=None):
    """Start argv in a new session (setsid): this kernel shares CPU between sessions, so the server
    under test must not share one with the benchmark driver."""
    log = open(log_path, "ab")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=env, cwd=cwd)


def stop_session(proc, grace_s=10):
    """SIGTERM the session, then SIGKILL whatever is left of it."""
    if proc is None:
        return
    sid = proc.pid
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5)):
        pids = session_pids(sid)
        if not pids and proc.poll() is not None:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.time() + wait_s
        while time.time() < deadline:
            proc.poll()
            if not session_pids(sid):
                proc.poll()
                return
            time.sleep(0.1)

"""The machine's QD1 floor (bench/floor/floor.c) measured inside a side-by-side run, so every report says how
fast a bare request/answer pair over this loopback was at the time: QD1 results swing with the machine's
state (vCPU wake-ups), and a ratio is only readable next to the floor of the same hour."""
import os
import re
import shutil
import subprocess

from . import procs

SHAPES = ("server", "handoff")  # plain floor; tgtd's shape (see floor.c)


def build(root, workdir):
    """Compiles floor.c into workdir; returns the binary, or None (with the reason) without gcc."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None, "not measured (no gcc)"
    binary = os.path.join(workdir, "floor")
    src = os.path.join(root, "bench", "floor", "floor.c")
    r = subprocess.run([gcc, "-O2", "-Wall", "-pthread", "-o", binary, src], capture_output=True, text=True)
    if r.returncode != 0:
        return None, f"not measured (gcc failed: {r.stderr.strip()[-200:]})"
    return binary, None


def run_shape(binary, shape, seconds):
    """One server/client pair; returns (ops per second, server CPU µs per op) or raises RuntimeError."""
    port = procs.free_port(3370, ())
    server = subprocess.Popen([binary, shape, str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        # It serves exactly one connection: wait for its listening socket in /proc, never by connecting.
        procs.wait_listening(port, server, 10, f"floor {shape} server")
        client = subprocess.run([binary, "client", str(port), str(seconds)], capture_output=True, text=True,
                                timeout=seconds + 30)
        out, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    ops = re.search(r"client: (\d+) ops/s", client.stdout)
    cpu = re.search(r"CPU ([\d.]+) us/op", out)
    if client.returncode != 0 or ops is None or cpu is None:
        raise RuntimeError(f"floor {shape}: client {client.stdout.strip()!r} {client.stderr.strip()!r}, "
                           f"server {out.strip()!r}")
    return int(ops.group(1)), float(cpu.group(1))


def measure(binary, seconds):
    """Both shapes once: {'server': (ops/s, µs), 'handoff': (ops/s, µs)}, or {'error': text}."""
    try:
        return {shape: run_shape(binary, shape, seconds) for shape in SHAPES}
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        return {"error": str(e)[-300:]}


def describe(m):
    if "error" in m:
        return m["error"]
    (s_ops, s_cpu), (h_ops, h_cpu) = m["server"], m["handoff"]
    return f"plain {s_ops:,} op/s at {s_cpu:.1f} µs CPU/op, hand-off {h_ops:,} op/s at {h_cpu:.1f} µs"

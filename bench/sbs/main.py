"""Driver: start targets, precondition, run every workload on every target (alternating), several rounds."""
import argparse
import datetime
import glob
import os
import shutil
import statistics
import subprocess
import sys
import time

from . import fio, floor, procs, report, targets


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/side-by-side.sh", description=__doc__)
    p.add_argument("--quick", action="store_true", help="256 MiB region, 4 s runs, 1 round (smoke test)")
    p.add_argument("--scenario", choices=("tmpfs", "disk"), default="tmpfs")
    p.add_argument("--targets", default="tgtd,jscsi,pmtarget",
                   help="comma list of tgtd, jscsi, pmtarget (default all three), pmtarget-handoff "
                        "(ours with server.inline-io = false, to measure the event-loop fast path)")
    p.add_argument("--rounds", type=int, help="rounds per workload (default 3, quick 1)")
    p.add_argument("--runtime", type=int, help="seconds per fio run (default 15, quick 4)")
    p.add_argument("--size-mib", type=int, help="region / LUN size in MiB (default 1024, quick 256)")
    p.add_argument("--cache-mib", type=int, default=256, help="pmtarget cache size in MiB (default 256)")
    p.add_argument("--long-runtime", type=int, help="scenario disk: seconds of the long write run "
                   "(default 120, quick 30)")
    p.add_argument("--workloads", help="comma list of workload names (default all)")
    p.add_argument("--disk-dir", default=None, help="scenario disk: directory on a real disk "
                   "(default build/bench-disk)")
    p.add_argument("--out-dir", default=None, help="default bench/results")
    p.add_argument("--tag", default="", help="suffix of the result file names (e.g. for a workload subset)")
    p.add_argument("--guest-halt-poll-ns", type=int, default=None,
                   help="set the guest kernel's cpuidle halt polling window for the run, restored after (a "
                        "virtual machine whose idle vCPUs halt at once pays a hypervisor wake-up on every "
                        "loopback round trip, for every target; default: leave the machine as it is)")
    p.add_argument("--floor-seconds", type=int, default=5,
                   help="seconds per QD1 floor measurement (bench/floor, plain and hand-off shape) at the start "
                        "and the end of the run, reported next to the results; 0 skips it (default 5)")
    a = p.parse_args(argv)
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.runtime = a.runtime or (4 if a.quick else 15)
    a.size_mib = a.size_mib or (256 if a.quick else 1024)
    a.long_runtime = a.long_runtime or (30 if a.quick else 120)
    return a


def loadavg():
    """1-minute load average: the machine is shared, so the report says how busy it was."""
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


HALT_POLL = "/sys/module/haltpoll/parameters/guest_halt_poll_ns"


def halt_poll_ns():
    """The guest's cpuidle halt polling window in ns, or None without the haltpoll driver."""
    try:
        with open(HALT_POLL) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def set_halt_poll_ns(ns):
    with open(HALT_POLL, "w") as f:
        f.write(str(ns))


def java_version(java):
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
    return out[0].strip() if out else "unknown"


def make_targets(args, ctx):
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    taken, result = [], []
    for n in names:
        port = procs.free_port(3270, taken)
        taken.append(port)
        if n == "tgtd":
            control = procs.free_port(9270, taken)
            taken.append(control)
            result.append(targets.Tgtd(ctx, port, control))
        elif n == "jscsi":
            result.append(targets.Jscsi(ctx, port))
        elif n == "pmtarget":
            result.append(targets.Ours(ctx, port))
        elif n == "pmtarget-handoff":
            result.append(targets.OursHandoff(ctx, port))
        else:
            sys.exit(f"unknown target {n!r} (tgtd, jscsi, pmtarget, pmtarget-handoff)")
    return result


def run_one(t, wl, args, ctx, out_prefix, size, runtime_s, extra_args=()):
    """One fio run on target t, with the target's CPU time around it; restarts a dead or hung target."""
    if not t.alive():
        t.restart()
    log_pos = os.path.getsize(t.log) if os.path.exists(t.log) else 0
    cpu0 = t.cpu_s()
    variant = t.fio_variant
    if variant == "stock" and "--fsync=1" in wl.extra:
        variant = "sc0"  # fio's own SYNCHRONIZE CACHE(16) names a range past the LUN's end
    res, _ = fio.run_fio(ctx["fio"][variant], t.url(), wl, size, runtime_s,
                         (runtime_s or 600) + 60, out_prefix, extra_args)
    if t.alive():
        res.cpu_s = t.cpu_s() - cpu0
    if not res.ok:
        evidence = target_log_error(t.log, log_pos)
        if evidence:
            res.problem += f" (target log: {evidence})"
    if not t.alive():
        res.ok = False
        res.problem = (res.problem + "; " if res.problem else "") + "target process died"
        print(f"    {t.name}: target died, restarting", flush=True)
        t.restart()
    elif res.problem.startswith("hung"):
        print(f"    {t.name}: hung, restarting", flush=True)
        t.restart()
    return res


def target_log_error(path, pos):
    """First error line the target logged since `pos`, as evidence for a failed run."""
    try:
        with open(path, "rb") as f:
            f.seek(pos)
            for line in f.read().decode(errors="replace").splitlines():
                if "ERROR" in line or "Unsupported" in line or "Exception" in line:
                    return line.strip()[-120:]
    except OSError:
        pass
    return ""


def precondition(t, args, ctx):
    """Write the whole region once (128 KiB sequential) so the read workloads read written blocks."""
    wl = fio.Workload("precondition", "write", "128k", 4)
    res = run_one(t, wl, args, ctx, os.path.join(ctx["workdir"], f"{t.name}-precondition"),
                  f"{args.size_mib}m", 0)
    print(f"  precondition {t.name}: {'ok' if res.ok else res.problem}", flush=True)
    return res


def long_run(t, args, ctx):
    """Scenario disk: random 4 KiB writes at QD16 over the whole region, longer than the cache can
    absorb at the backing disk's writeback rate; IOPS per second are logged."""
    wl = fio.Workload("long-randwrite-4k-qd16", "randwrite", "4k", 16)
    prefix = os.path.join(ctx["workdir"], f"{t.name}-long")
    res = run_one(t, wl, args, ctx, prefix, f"{args.size_mib}m", args.long_runtime,
                  (f"--write_iops_log={prefix}", f"--write_lat_log={prefix}", "--log_avg_msec=1000"))
    res.extra["series"] = fio.read_iops_log(prefix + "_iops")
    print(f"  long run {t.name}: {'ok' if res.ok else res.problem} ({res.iops:.0f} IOPS)", flush=True)
    return res


def median_result(rs):
    ok = [r for r in rs if r.ok]
    if not ok:
        # One example is enough (rounds differ only in counts and times).
        return fio.Result(False, problem=f"{rs[0].problem} [{len(rs)}/{len(rs)} rounds failed]")
    m = fio.Result(True)
    for attr in ("iops", "mbps", "p50_us", "p99_us"):
        setattr(m, attr, statistics.median(getattr(r, attr) for r in ok))
    m.extra["cpu_us_per_io"] = statistics.median(r.cpu_us_per_io for r in ok)
    m.extra["rounds_ok"] = f"{len(ok)}/{len(rs)}"
    m.syncs = max(r.syncs for r in ok)
    if len(ok) < len(rs):
        failed = [r for r in rs if not r.ok]
        m.problem = f"{failed[0].problem} [{len(failed)}/{len(rs)} rounds failed]"
    return m


def main(argv):
    args = parse_args(argv)
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    started = time.time()
    load_start = loadavg()
    stamp = datetime.datetime.now(datetime.timezone.utc)
    shm_dir = f"/dev/shm/pmtarget-bench-{os.getpid()}"
    workdir = os.path.join(root, "build", "bench", stamp.strftime("%Y%m%dT%H%M%S") + "-" + args.scenario)
    disk_dir = os.path.abspath(args.disk_dir or os.path.join(root, "build", "bench-disk"))
    for d in (shm_dir, workdir, disk_dir):
        os.makedirs(d, exist_ok=True)
    fio_stock = [p for p in glob.glob(os.path.join(root, "build/cache/fio-*/fio"))
                 if "-cdb10/" not in p and "-sc0/" not in p]
    fio_cdb10 = glob.glob(os.path.join(root, "build/cache/fio-*-cdb10/fio"))
    fio_sc0 = glob.glob(os.path.join(root, "build/cache/fio-*-sc0/fio"))
    if not fio_stock or not fio_cdb10 or not fio_sc0:
        sys.exit("fio with the libiscsi engine is missing: run .ci/install-bench-deps.sh")
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else "java"
    ctx = dict(root=root, workdir=workdir, scenario=args.scenario, size_bytes=args.size_mib << 20,
               disk_dir=disk_dir, shm_dir=shm_dir, java=java, cache_mib=args.cache_mib,
               fio={"stock": fio_stock[0], "cdb10": fio_cdb10[0], "sc0": fio_sc0[0]})
    wls = fio.WORKLOADS
    if args.workloads:
        wanted = set(args.workloads.split(","))
        wls = tuple(w for w in wls if w.name in wanted)
    ts = make_targets(args, ctx)
    results = {(w.name, t.name): [] for w in wls for t in ts}
    long_results = {}
    machine_halt_poll = halt_poll_ns()
    if args.guest_halt_poll_ns is not None:
        if machine_halt_poll is None:
            sys.exit(f"--guest-halt-poll-ns: {HALT_POLL} is missing (no cpuidle haltpoll driver)")
        set_halt_poll_ns(args.guest_halt_poll_ns)
    floors = {}
    completed = False
    floor_binary, floor_note = floor.build(root, workdir) if args.floor_seconds > 0 else (None, "not measured")
    try:
        if floor_binary:
            floors["start"] = floor.measure(floor_binary, args.floor_seconds)
            print(f"QD1 floor at start: {floor.describe(floors['start'])}", flush=True)
        for t in ts:
            print(f"starting {t.describe()} on 127.0.0.1:{t.port}", flush=True)
            t.start()
        for t in ts:
            precondition(t, args, ctx)
        for rnd in range(args.rounds):
            for wl in wls:
                # Alternate which target goes first so no target always runs on a "warm" machine.
                order = ts[rnd % len(ts):] + ts[:rnd % len(ts)]
                for t in order:
                    prefix = os.path.join(workdir, f"{t.name}-{wl.name}-r{rnd}")
                    r = run_one(t, wl, args, ctx, prefix, f"{args.size_mib}m", args.runtime)
                    results[(wl.name, t.name)].append(r)
                    print(f"round {rnd + 1}/{args.rounds} {wl.name:24s} {t.name:9s} "
                          + (f"{r.iops:9.0f} IOPS {r.cpu_us_per_io:7.1f} us CPU/IO" if r.ok else r.problem),
                          flush=True)
        if args.scenario == "disk":
            for t in ts:
                long_results[t.name] = long_run(t, args, ctx)
        completed = True
    finally:
        for t in ts:
            t.stop()
        shutil.rmtree(shm_dir, ignore_errors=True)
        if completed and floor_binary:
            # With the targets stopped and the halt polling setting of the run still in place.
            floors["end"] = floor.measure(floor_binary, args.floor_seconds)
            print(f"QD1 floor at end: {floor.describe(floors['end'])}", flush=True)
        if args.guest_halt_poll_ns is not None:
            set_halt_poll_ns(machine_halt_poll)
    medians = {k: median_result(v) for k, v in results.items()}
    meta = dict(date=stamp.strftime("%Y-%m-%d %H:%M UTC"), jdk=java_version(java), cores=os.cpu_count(),
                scenario=args.scenario, quick=args.quick, rounds=args.rounds, runtime=args.runtime,
                size_mib=args.size_mib, cache_mib=args.cache_mib, fio=subprocess.run(
                    [ctx["fio"]["stock"], "--version"], capture_output=True, text=True).stdout.strip(),
                targets=[t.describe() for t in ts], elapsed_s=time.time() - started, workdir=workdir,
                long_runtime=args.long_runtime, kernel=os.uname().release,
                load=f"{load_start} at start, {loadavg()} at end", argv=" ".join(argv),
                floor=("; ".join(f"{k}: {floor.describe(v)}" for k, v in floors.items()) if floors
                       else floor_note),
                halt_poll=("no cpuidle haltpoll driver" if machine_halt_poll is None
                           else f"{halt_poll_ns() if args.guest_halt_poll_ns is None else args.guest_halt_poll_ns} ns"
                           + ("" if args.guest_halt_poll_ns is None
                              else f" for this run (the machine's setting, restored after: {machine_halt_poll} ns)")))
    out_dir = args.out_dir or os.path.join(root, "bench", "results")
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, stamp.strftime("%Y-%m-%d") + "-" + args.scenario + ("-quick" if args.quick else "")
                        + (f"-{args.tag}" if args.tag else ""))
    report.write(base, meta, wls, [t.name for t in ts], medians, long_results)
    print(f"wrote {base}.md and {base}.png ({meta['elapsed_s']:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])

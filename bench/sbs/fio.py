"""Workloads and one fio run against one target (fio's libiscsi engine, JSON output)."""
import json
import os
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Workload:
    name: str
    rw: str
    bs: str
    iodepth: int
    extra: tuple = ()

    @property
    def ddir(self):
        return "read" if "read" in self.rw else "write"


WORKLOADS = (
    Workload("randwrite-4k-qd1", "randwrite", "4k", 1),
    Workload("randwrite-4k-qd16", "randwrite", "4k", 16),
    Workload("randwrite-4k-qd64", "randwrite", "4k", 64),
    Workload("randread-4k-qd1", "randread", "4k", 1),
    Workload("randread-4k-qd64", "randread", "4k", 64),
    # fio's libiscsi engine turns --fsync=1 into SYNCHRONIZE CACHE(16) after every write (it never sets
    # FUA; --sync=1 only adds O_SYNC to an open() the engine does not do, so it changes nothing).
    Workload("randwrite-4k-qd1-fsync", "randwrite", "4k", 1, ("--fsync=1",)),
    Workload("seqwrite-128k-qd8", "write", "128k", 8),
    Workload("seqread-128k-qd8", "read", "128k", 8),
)


@dataclass
class Result:
    ok: bool
    iops: float = 0.0
    mbps: float = 0.0
    p50_us: float = 0.0
    p99_us: float = 0.0
    ios: int = 0
    syncs: int = 0
    cpu_s: float = 0.0
    problem: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def cpu_us_per_io(self):
        return self.cpu_s * 1e6 / self.ios if self.ios else 0.0


def fio_filename(url):
    # fio splits --filename at ':'; the libiscsi URL's colons must be escaped.
    return url.replace(":", "\\:")


def run_fio(fio_bin, url, wl, size, runtime_s, timeout_s, out_prefix, extra_args=()):
    """Runs one fio job; returns (Result without cpu, raw stderr). A hang is reported, not waited out."""
    args = [fio_bin, "--name=" + wl.name, "--ioengine=libiscsi", "--filename=" + fio_filename(url),
            f"--rw={wl.rw}", f"--bs={wl.bs}", f"--iodepth={wl.iodepth}", f"--size={size}",
            "--norandommap=1", "--randrepeat=0", "--output-format=json", f"--output={out_prefix}.json",
            *wl.extra, *extra_args]
    if runtime_s:
        args += ["--time_based=1", f"--runtime={runtime_s}"]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"")
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
        return Result(False, problem=f"hung: no completion within {timeout_s} s"), err
    with open(out_prefix + ".stderr", "w") as f:
        f.write(proc.stderr)
    return parse(out_prefix + ".json", wl, proc.returncode, proc.stderr), proc.stderr


def first_error_line(stderr):
    for line in stderr.splitlines():
        if "iscsi:" in line or "error" in line.lower():
            return line.strip()[:160]
    return stderr.strip().splitlines()[-1][:160] if stderr.strip() else "no output"


def parse(json_path, wl, returncode, stderr):
    try:
        with open(json_path) as f:
            text = f.read()
        # fio may print non-JSON lines (errors) before the JSON document.
        data = json.loads(text[text.index("{"):])
        job = data["jobs"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return Result(False, problem=f"fio exit {returncode}: {first_error_line(stderr)}")
    d = job[wl.ddir]
    # The libiscsi engine logs a failed command and marks the io_u failed, yet fio may still finish
    # with error 0: count the engine's failure lines, a run with any failed command is no result.
    failed = stderr.count("iscsi: request failed")
    if failed:
        return Result(False, problem=f"{failed} commands failed: {first_error_line(stderr)}")
    if job.get("error") or returncode != 0 or d["total_ios"] == 0:
        return Result(False, problem=f"fio error {job.get('error')} exit {returncode}: {first_error_line(stderr)}")
    pct = d["clat_ns"].get("percentile", {})
    syncs = job.get("sync", {}).get("total_ios", 0) if isinstance(job.get("sync"), dict) else 0
    return Result(True, iops=d["iops"], mbps=d["bw_bytes"] / 1e6, p50_us=pct.get("50.000000", 0) / 1e3,
                  p99_us=pct.get("99.000000", 0) / 1e3, ios=d["total_ios"], syncs=syncs)


def read_iops_log(path_prefix):
    """fio --write_iops_log=P --log_avg_msec=1000 writes P_iops.1.log: 'msec, value, ddir, bs, ...'."""
    points = []
    for name in sorted(os.listdir(os.path.dirname(path_prefix) or ".")):
        full = os.path.join(os.path.dirname(path_prefix), name)
        if full.startswith(path_prefix) and name.endswith(".log"):
            with open(full) as f:
                for line in f:
                    cols = [c.strip() for c in line.split(",")]
                    if len(cols) >= 2 and cols[0].isdigit():
                        points.append((int(cols[0]) / 1000.0, float(cols[1])))
            break
    return points

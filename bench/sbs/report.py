"""Markdown table and PNG bar plot of the medians."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def fmt(v, digits=0):
    return f"{v:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def header(meta, sep=" - "):
    q = " (QUICK MODE: smaller region, shorter runs, fewer rounds; not a reference result)" if meta["quick"] else ""
    return (f"Side-by-side iSCSI targets, scenario {meta['scenario']}{q}{sep}{meta['date']}, "
            f"{meta['jdk']}, {meta['cores']} cores")


def write(base, meta, wls, names, medians, long_results):
    lines = [f"# {header(meta)}", ""]
    lines += [f"- Command: `bench/side-by-side.sh {meta['argv']}`",
              f"- Kernel {meta['kernel']}; {meta['fio']} with the libiscsi engine, one job, 127.0.0.1; "
              f"1-min load average {meta.get('load', '?')} (machine shared with other work)",
              f"- Guest halt polling (cpuidle haltpoll `guest_halt_poll_ns`): {meta.get('halt_poll', 'not recorded')}; "
              "at 0 an idle vCPU halts at once, and waking it costs a hypervisor round trip on each side of every "
              "loopback request",
              f"- QD1 floor (bench/floor: C server and client, 48 B + 4 KiB request, 48 B answer, no iSCSI; "
              f"the plain shape and tgtd's hand-off shape): {meta.get('floor', 'not recorded')}",
              f"- Region {meta['size_mib']} MiB, {meta['runtime']} s per run, {meta['rounds']} round(s), "
              f"targets alternate; values are medians over rounds; the region was written once (128 KiB "
              f"sequential) before the runs so reads hit written blocks",
              "- CPU µs/IO: utime+stime of every thread of the target's session (/proc/PID/stat, target "
              "started with setsid) over the fio run, divided by the I/Os fio completed (login included)",
              "- Latency: fio completion latency percentiles (clat) of the READ/WRITE commands; in the "
              "fsync workload every WRITE is followed by a SYNCHRONIZE CACHE(16) (fio --fsync=1), "
              "whose time is in IOPS but not in p50/p99; that workload runs build/cache/fio-*-sc0/fio, "
              "whose SYNCHRONIZE CACHE(16) covers the whole LUN (NUMBER OF LOGICAL BLOCKS 0) instead of "
              "stock fio's byte count, a range past the LUN's end (see bench/README.md)",
              f"- Wall time of this run: {meta['elapsed_s'] / 60:.1f} min; raw fio JSON in `{meta['workdir']}`",
              "- Targets:"]
    lines += [f"  - {d}" for d in meta["targets"]]
    lines += ["", "| Workload | Target | IOPS | MB/s | p50 µs | p99 µs | CPU µs/IO | rounds ok | notes |",
              "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for wl in wls:
        for n in names:
            m = medians[(wl.name, n)]
            if m.ok:
                note = m.problem
                if "fsync" in wl.name:
                    note = (note + "; " if note else "") + f"{m.syncs} SYNCHRONIZE CACHE sent"
                lines.append(f"| {wl.name} | {n} | {fmt(m.iops)} | {fmt(m.mbps, 1)} | {fmt(m.p50_us, 1)} | "
                             f"{fmt(m.p99_us, 1)} | {fmt(m.extra['cpu_us_per_io'], 1)} | "
                             f"{m.extra['rounds_ok']} | {note} |")
            else:
                lines.append(f"| {wl.name} | {n} | cannot run | | | | | 0 | {m.problem} |")
    if "pmtarget" in names:
        others = [n for n in names if n != "pmtarget"]
        lines += ["", "Ratios ours/other (IOPS: higher is better for us; CPU per I/O: lower is better for us)", "",
                  "| Workload | " + " | ".join(f"IOPS ours/{o} | CPU/IO ours/{o}" for o in others) + " |",
                  "|---|" + "---:|---:|" * len(others)]
        for wl in wls:
            ours = medians[(wl.name, "pmtarget")]
            cells = []
            for o in others:
                other = medians[(wl.name, o)]
                if ours.ok and other.ok:
                    cells += [ratio(ours.iops, other.iops),
                              ratio(ours.extra["cpu_us_per_io"], other.extra["cpu_us_per_io"])]
                else:
                    cells += ["-", "-"]
            lines.append(f"| {wl.name} | " + " | ".join(cells) + " |")
    if long_results:
        lines += ["", f"## Long write run ({meta['long_runtime']} s random 4 KiB writes, QD16, whole region)", "",
                  "| Target | IOPS (mean) | p50 µs | p99 µs | errors | IOPS min/max over 1 s intervals |",
                  "|---|---:|---:|---:|---|---|"]
        for n, r in long_results.items():
            series = [v for _, v in r.extra.get("series", [])]
            span = f"{min(series):,.0f} / {max(series):,.0f}" if series else "-"
            lines.append(f"| {n} | {fmt(r.iops)} | {fmt(r.p50_us, 1)} | {fmt(r.p99_us, 1)} | "
                         f"{'none' if r.ok else r.problem} | {span} |")
        lines.append(f"\nIOPS over time: `{base.rsplit('/', 1)[-1]}-long.png`")
        plot_long(base + "-long.png", meta, long_results)
    with open(base + ".md", "w") as f:
        f.write("\n".join(lines) + "\n")
    plot(base + ".png", meta, wls, names, medians)


def plot(path, meta, wls, names, medians):
    fig, axes = plt.subplots(2, 1, figsize=(13, 9))
    width = 0.8 / len(names)
    xs = range(len(wls))
    for i, n in enumerate(names):
        iops = [medians[(w.name, n)].iops if medians[(w.name, n)].ok else 0 for w in wls]
        cpu = [medians[(w.name, n)].extra.get("cpu_us_per_io", 0) if medians[(w.name, n)].ok else 0 for w in wls]
        pos = [x + (i - (len(names) - 1) / 2) * width for x in xs]
        axes[0].bar(pos, iops, width, label=n)
        axes[1].bar(pos, cpu, width, label=n)
        for p, v in zip(pos, iops):
            if v == 0:
                # x in data units, y in axes units: a log axis must not be stretched down to 1.
                axes[0].text(p, 0.02, "n/a", ha="center", va="bottom", fontsize=7, rotation=90,
                             transform=axes[0].get_xaxis_transform())
    axes[0].set_ylabel("IOPS (median)")
    axes[0].set_yscale("log")
    axes[1].set_ylabel("target CPU µs per I/O (median)")
    for ax in axes:
        ax.set_xticks(list(xs))
        ax.set_xticklabels([w.name for w in wls], rotation=20, ha="right", fontsize=8)
        ax.legend()
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(header(meta, "\n"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_long(path, meta, long_results):
    fig, ax = plt.subplots(figsize=(11, 5))
    for n, r in long_results.items():
        series = r.extra.get("series", [])
        if series:
            ax.plot([t for t, _ in series], [v for _, v in series], label=n)
    ax.set_xlabel("seconds")
    ax.set_ylabel("write IOPS (1 s average)")
    ax.set_title("Long random-write run - " + header(meta, "\n"), fontsize=9)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""Re-draws a result's PNG from its markdown table (e.g. after a change to the plot):
/usr/bin/python3 -m bench.sbs.replot bench/results/<name>.md"""
import re
import sys

from . import fio, report


def main(md_path):
    with open(md_path) as f:
        lines = f.read().splitlines()
    title = lines[0].lstrip("# ")
    m = re.match(r"Side-by-side iSCSI targets, scenario (\w+)(.*?) - (\d{4}-\d\d-\d\d \d\d:\d\d UTC), (.*), (\d+) cores$",
                 title)
    if not m:
        sys.exit(f"{md_path}: unexpected title {title!r}")
    meta = dict(scenario=m.group(1), quick="QUICK" in m.group(2), date=m.group(3), jdk=m.group(4),
                cores=m.group(5))
    medians, wl_names, names = {}, [], []
    for line in lines:
        cols = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cols) != 9 or cols[0] in ("Workload", "---") or cols[0].startswith("---"):
            continue
        wl, target = cols[0], cols[1]
        if wl not in wl_names:
            wl_names.append(wl)
        if target not in names:
            names.append(target)
        if cols[2] == "cannot run":
            medians[(wl, target)] = fio.Result(False, problem=cols[8])
        else:
            num = [float(c.replace(",", "")) for c in cols[2:7]]
            r = fio.Result(True, iops=num[0], mbps=num[1], p50_us=num[2], p99_us=num[3])
            r.extra["cpu_us_per_io"] = num[4]
            medians[(wl, target)] = r
    wls = [w for w in fio.WORKLOADS if w.name in wl_names]
    report.plot(md_path[:-3] + ".png", meta, wls, names, medians)
    print(f"wrote {md_path[:-3]}.png")


if __name__ == "__main__":
    main(sys.argv[1])

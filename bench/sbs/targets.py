"""The iSCSI targets under test. Each starts in its own session on its own loopback port, exposes an
iSCSI URL for fio's libiscsi engine, and can be restarted when a workload killed it."""
import os
import subprocess

from . import procs

IQN_TGTD = "iqn.2026-11.io.pmtarget.bench:tgtd"
IQN_JSCSI = "iqn.2010-04.local-test:disk-1"
IQN_OURS = "iqn.2026-11.io.pmtarget.bench:ours"


class Target:
    name = "?"
    fio_variant = "stock"  # which fio binary: "stock" (READ/WRITE 16) or "cdb10"

    def __init__(self, ctx, port):
        self.ctx = ctx  # dict: root, workdir, scenario, size_bytes, disk_dir, shm_dir
        self.port = port
        self.proc = None
        self.log = os.path.join(ctx["workdir"], f"{self.name}.log")

    def url(self):
        raise NotImplementedError

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cpu_s(self):
        return procs.session_cpu_s(self.proc.pid)

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        procs.stop_session(self.proc)
        self.proc = None

    def describe(self):
        return self.name


class Tgtd(Target):
    """Linux SCSI target framework daemon; LUN 1 (LUN 0 is its controller), bstype rdwr."""
    name = "tgtd"

    def __init__(self, ctx, port, control_port):
        super().__init__(ctx, port)
        self.control_port = control_port
        base = ctx["disk_dir"] if ctx["scenario"] == "disk" else ctx["shm_dir"]
        self.file = os.path.join(base, "tgtd-lun.img")

    def adm(self, *args, check=True):
        return subprocess.run(["tgtadm", "-C", str(self.control_port), "--lld", "iscsi", *args],
                              check=check, capture_output=True, text=True, timeout=30)

    def start(self):
        if not os.path.exists(self.file):
            with open(self.file, "wb") as f:
                f.truncate(self.ctx["size_bytes"])
        self.proc = procs.start_session(
            ["tgtd", "-f", "-C", str(self.control_port), "--iscsi", f"portal=127.0.0.1:{self.port}"], self.log)
        procs.wait_listening(self.port, self.proc, 15, "tgtd")
        self.adm("--op", "new", "--mode", "target", "--tid", "1", "-T", IQN_TGTD)
        lun = ["--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1", "--bstype", "rdwr",
               "-b", self.file]
        if self.ctx["scenario"] == "disk":
            lun += ["--bsoflags", "sync"]  # O_SYNC: every write reaches the disk before GOOD
        self.adm(*lun)
        self.adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL")

    def stop(self):
        if self.alive():
            # tgtd ignores SIGTERM while it has targets: delete them, then the system.
            self.adm("--op", "delete", "--mode", "target", "--tid", "1", "--force", check=False)
            self.adm("--op", "delete", "--mode", "system", check=False)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        super().stop()

    def url(self):
        return f"iscsi://127.0.0.1:{self.port}/{IQN_TGTD}/1"

    def describe(self):
        flags = " --bsoflags sync" if self.ctx["scenario"] == "disk" else ""
        return f"tgtd (bstype rdwr{flags}, file {self.file})"


class Jscsi(Target):
    """jSCSI target 2.5.2 (org.jscsi:target); SyncFileStorage on tmpfs in both scenarios."""
    name = "jscsi"
    fio_variant = "cdb10"  # it implements READ(10)/WRITE(10) only

    def __init__(self, ctx, port):
        super().__init__(ctx, port)
        self.file = os.path.join(ctx["shm_dir"], "jscsi-lun.img")
        self.config = os.path.join(ctx["workdir"], "jscsi-target.xml")

    def start(self):
        if not os.path.exists(self.file):
            with open(self.file, "wb") as f:
                f.truncate(self.ctx["size_bytes"])
        with open(self.config, "w") as f:
            f.write(f"""<?xml version="1.0" encoding="UTF-8"?>
<configuration xmlns="http://www.jscsi.org/2010-04">
  <TargetList>
    <Target>
      <TargetName>{IQN_JSCSI}</TargetName>
      <TargetAlias>jSCSI bench</TargetAlias>
      <SyncFileStorage><Path>{self.file}</Path><DontCreate/></SyncFileStorage>
    </Target>
  </TargetList>
  <GlobalConfig>
    <AllowSloppyNegotiation>true</AllowSloppyNegotiation>
    <Port>{self.port}</Port>
  </GlobalConfig>
</configuration>
""")
        lib = os.path.join(self.ctx["root"], "build/cache/jscsi/lib")
        launcher = os.path.join(self.ctx["root"], "bench/jscsi/JscsiLauncher.java")
        self.proc = procs.start_session([self.ctx["java"], "-cp", lib + "/*", launcher, self.config], self.log)
        procs.wait_listening(self.port, self.proc, 60, "jSCSI target")

    def url(self):
        return f"iscsi://127.0.0.1:{self.port}/{IQN_JSCSI}/0"

    def describe(self):
        return f"jSCSI 2.5.2 (SyncFileStorage, file {self.file}; fio with READ/WRITE(10))"


class Ours(Target):
    """pmtarget: one volume, cache file on /dev/shm (pmem stand-in), backing file per scenario."""
    name = "pmtarget"
    inline_io = True

    def __init__(self, ctx, port):
        super().__init__(ctx, port)
        self.data_dir = os.path.join(ctx["workdir"], self.name + "-data")
        self.cache_file = os.path.join(ctx["shm_dir"], self.name + ".cache")
        base = ctx["disk_dir"] if ctx["scenario"] == "disk" else ctx["shm_dir"]
        self.backing_file = os.path.join(base, self.name + "-backing.img")
        self.config = os.path.join(ctx["workdir"], self.name + ".conf")

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        mib = self.ctx["size_bytes"] // (1 << 20)
        cache_mib = self.ctx["cache_mib"]
        with open(self.config, "w") as f:
            f.write(f"""# Generated by bench/side-by-side.sh
server {{
  data-dir = "{self.data_dir}"
  inline-io = {"true" if self.inline_io else "false"}
}}
volumes {{
  bench0 {{
    cache-file = "{self.cache_file}"
    cache-size = {cache_mib}MiB
    backing-file = "{self.backing_file}"
    backing-size = {mib}MiB
    block-size = 4096
  }}
}}
targets {{
  "{IQN_OURS}" {{
    portals = ["127.0.0.1:{self.port}"]
    allow-any-initiator = true
    luns {{
      0 {{ volume = bench0 }}
    }}
  }}
}}
""")
        env = dict(os.environ, PMTARGET_NO_BUILD="1", JAVA=self.ctx["java"])
        script = os.path.join(self.ctx["root"], "pmtarget.sh")
        self.proc = procs.start_session([script, "serve", "--config", self.config], self.log, env=env,
                                        cwd=self.ctx["root"])
        procs.wait_listening(self.port, self.proc, 90, "pmtarget")

    def url(self):
        return f"iscsi://127.0.0.1:{self.port}/{IQN_OURS}/0"

    def describe(self):
        return (f"{self.name} (cache {self.ctx['cache_mib']} MiB on {self.cache_file}, "
                f"backing {self.backing_file}, inline-io {'on' if self.inline_io else 'off'})")


class OursHandoff(Ours):
    """pmtarget with server.inline-io = false: every READ/WRITE hops to the LUN's I/O threads and back.
    Only for measuring what the event-loop fast path is worth, in the same run."""
    name = "pmtarget-handoff"
    inline_io = False


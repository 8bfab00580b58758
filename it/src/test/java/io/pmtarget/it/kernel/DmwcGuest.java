package io.pmtarget.it.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs it/kernel/run-dmwc-guest.sh: one qemu (TCG) boot of the dm-writecache guest (built by
 * {@code build-guest.sh --guest dmwc}) with raw files as virtio disks named by serial. The guest
 * prints {@code PMT-DMWC: key=value} lines, the kernel's device-mapper messages and one verdict
 * line {@code PMTARGET-GUEST: PASS|FAIL ...}.
 */
final class DmwcGuest {
  private static final String KV_PREFIX = "PMT-DMWC: ";

  /**
   * One boot's outcome.
   *
   * @param facts   every {@code PMT-DMWC:} line's text in order (e.g. "wc1 status=0 131072 ...")
   * @param console the console log file
   */
  record Boot(boolean pass, String verdict, List<String> facts, long wallMs, Path console) {
    /** The value of the last fact "{@code <prefix>=<value>}", e.g. value("wc1 status"). */
    String value(String prefix) {
      String found = null;
      for (String f : facts) {
        if (f.startsWith(prefix + "=")) {
          found = f.substring(prefix.length() + 1);
        }
      }
      if (found == null) {
        throw new AssertionError("the guest printed no '" + prefix + "=' (console " + console + ")");
      }
      return found;
    }

    /** All values of facts "{@code <prefix>=<value>}" in order. */
    List<String> values(String prefix) {
      List<String> out = new ArrayList<>();
      for (String f : facts) {
        if (f.startsWith(prefix + "=")) {
          out.add(f.substring(prefix.length() + 1));
        }
      }
      return out;
    }
  }

  private final Path scriptDir;
  private final Path logDir;
  private String kernel;
  private String initrd;

  DmwcGuest(Path scriptDir, Path logDir) {
    this.scriptDir = scriptDir;
    this.logDir = logDir;
  }

  /** Builds (or finds in build/cache) the dmwc flavour of the guest. */
  void build(long timeoutMs) throws IOException, InterruptedException {
    Files.createDirectories(logDir);
    Path err = logDir.resolve("build-dmwc-guest.log");
    Path out = logDir.resolve("build-dmwc-guest.out");
    Process p = new ProcessBuilder(scriptDir.resolve("build-guest.sh").toString(), "--guest", "dmwc")
        .redirectError(err.toFile()).redirectOutput(out.toFile()).start();
    if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new IOException("build-guest.sh --guest dmwc took over " + timeoutMs + " ms");
    }
    for (String line : Files.readAllLines(out)) {
      if (line.startsWith("KERNEL=")) {
        kernel = line.substring("KERNEL=".length());
      } else if (line.startsWith("INITRD=")) {
        initrd = line.substring("INITRD=".length());
      }
    }
    if (p.exitValue() != 0 || kernel == null || initrd == null) {
      throw new IOException("build-guest.sh --guest dmwc failed (exit " + p.exitValue() + "): "
          + Files.readString(err));
    }
  }

  /**
   * Boots once.
   *
   * @param disks  virtio serial -> raw file (insertion order = PCI order)
   * @param extra  further run-dmwc-guest.sh arguments (--sets, --wcopts, --ops, ...)
   */
  Boot boot(String label, String mode, Map<String, Path> disks, List<String> extra, long timeoutMs)
      throws IOException, InterruptedException {
    if (kernel == null) {
      throw new IllegalStateException("build() first");
    }
    Path console = logDir.resolve("dmwc-" + label + ".log");
    List<String> cmd = new ArrayList<>(List.of(scriptDir.resolve("run-dmwc-guest.sh").toString(),
        "--mode", mode, "--timeout", Long.toString(timeoutMs / 1000), "--kernel", kernel,
        "--initrd", initrd, "--log", console.toString()));
    for (Map.Entry<String, Path> d : disks.entrySet()) {
      cmd.addAll(List.of("--disk", d.getKey() + "=" + d.getValue().toAbsolutePath()));
    }
    cmd.addAll(extra);
    QemuGuest.RunnerOutput run = QemuGuest.runBounded(cmd, logDir.resolve("run-dmwc-" + label + ".out"), timeoutMs);
    long wallMs = run.wallMs();
    String out = run.text();
    String verdict = null;
    List<String> facts = new ArrayList<>();
    for (String line : out.split("\r?\n")) {
      int at = line.indexOf(QemuGuest.VERDICT_PREFIX);
      if (at >= 0) {
        verdict = line.substring(at).strip();
      }
      int kv = line.indexOf(KV_PREFIX);
      if (kv >= 0) {
        facts.add(line.substring(kv + KV_PREFIX.length()).strip());
      }
    }
    if (verdict == null) {
      verdict = QemuGuest.VERDICT_PREFIX + "FAIL no verdict line (run-dmwc-guest.sh output: "
          + out.substring(Math.max(0, out.length() - 2000)) + ")";
    }
    boolean pass = verdict.startsWith(QemuGuest.VERDICT_PREFIX + "PASS") && run.exitedZero();
    return new Boot(pass, verdict, facts, wallMs, console);
  }

  /** Ordered disk map helper: serial, file, serial, file, ... */
  static Map<String, Path> disks(Object... serialThenFile) {
    Map<String, Path> m = new LinkedHashMap<>();
    for (int i = 0; i < serialThenFile.length; i += 2) {
      m.put((String) serialThenFile[i], (Path) serialThenFile[i + 1]);
    }
    return m;
  }
}

package io.pmtarget.it.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs it/kernel/run-guest.sh: one qemu (TCG) boot of the initiator guest inside a network
 * namespace with only {@code lo}, whose single way out is the slirp guestfwd to 127.0.0.1:PORT.
 * The guest reports one line {@code PMTARGET-GUEST: PASS ...} or {@code ... FAIL <reason>}.
 */
final class QemuGuest {
  static final String VERDICT_PREFIX = "PMTARGET-GUEST: ";
  private static final Pattern SUMS = Pattern.compile("\\bsums=([0-9a-f]{64})\\b");

  /** The guest's verdict line, the wall time of the boot, and the console log file. */
  record Verdict(boolean pass, String line, long wallMs, Path consoleLog) {
    Optional<String> sums() {
      Matcher m = SUMS.matcher(line);
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
  }

  private final Path scriptDir;
  private final Path logDir;
  private String kernel;
  private String initrd;

  QemuGuest(Path scriptDir, Path logDir) {
    this.scriptDir = scriptDir;
    this.logDir = logDir;
  }

  /** Locates it/kernel from the module directory (failsafe's cwd) or the repository root. */
  static Path findScriptDir() {
    for (Path p : List.of(Path.of("kernel"), Path.of("it", "kernel"))) {
      if (Files.isExecutable(p.resolve("run-guest.sh"))) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("it/kernel/run-guest.sh not found from "
        + Path.of("").toAbsolutePath());
  }

  /** Builds (or finds in build/cache) the kernel and initramfs. */
  void build(long timeoutMs) throws IOException, InterruptedException {
    Path out = logDir.resolve("build-guest.log");
    Files.createDirectories(logDir);
    Process p = new ProcessBuilder(scriptDir.resolve("build-guest.sh").toString())
        .redirectError(out.toFile()).start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IOException("build-guest.sh took over " + timeoutMs + " ms");
    }
    for (String line : stdout.split("\n")) {
      if (line.startsWith("KERNEL=")) {
        kernel = line.substring("KERNEL=".length());
      } else if (line.startsWith("INITRD=")) {
        initrd = line.substring("INITRD=".length());
      }
    }
    if (p.exitValue() != 0 || kernel == null || initrd == null) {
      throw new IOException("build-guest.sh failed (exit " + p.exitValue() + "): "
          + Files.readString(out));
    }
  }

  /**
   * Boots once. {@code mode} is "write" or "verify"; {@code expectedSums} (verify only) is the
   * sha256 of the checksum list the write boot reported. A timeout yields a FAIL verdict.
   */
  Verdict boot(String label, KernelTarget.Endpoint endpoint, KernelVariant variant, String mode,
      String expectedSums, long timeoutMs) throws IOException, InterruptedException {
    if (kernel == null) {
      throw new IllegalStateException("build() first");
    }
    Path console = logDir.resolve("guest-" + label + ".log");
    List<String> cmd = new ArrayList<>(List.of(scriptDir.resolve("run-guest.sh").toString(),
        "--port", Integer.toString(endpoint.port()), "--iqn", endpoint.iqn(), "--mode", mode,
        "--digest", variant.digestValue(), "--timeout", Long.toString(timeoutMs / 1000),
        "--kernel", kernel, "--initrd", initrd, "--log", console.toString()));
    if (variant.chap) {
      cmd.addAll(List.of("--user", KernelVariant.INITIATOR_USER,
          "--secret", KernelVariant.INITIATOR_SECRET, "--badauth"));
    }
    if (variant.mutualChap) {
      cmd.addAll(List.of("--muser", KernelVariant.TARGET_USER,
          "--msecret", KernelVariant.TARGET_SECRET));
    }
    if (expectedSums != null) {
      cmd.addAll(List.of("--sums", expectedSums));
    }
    RunnerOutput run = runBounded(cmd, logDir.resolve("run-" + label + ".out"), timeoutMs);
    long wallMs = run.wallMs();
    String out = run.text();
    String verdict = null;
    for (String line : out.split("\r?\n")) {
      int at = line.indexOf(VERDICT_PREFIX);
      if (at >= 0) {
        verdict = line.substring(at).strip();
      }
    }
    if (verdict == null) {
      verdict = VERDICT_PREFIX + "FAIL no verdict line (run-guest.sh output: "
          + out.substring(Math.max(0, out.length() - 2000)) + ")";
    }
    boolean pass = verdict.startsWith(VERDICT_PREFIX + "PASS") && run.exitedZero();
    return new Verdict(pass, verdict, wallMs, console);
  }

  /** What a guest runner script printed, how long it ran, and whether it ended by itself with status 0. */
  record RunnerOutput(String text, long wallMs, boolean exitedZero) {
  }

  /**
   * Runs a guest runner script (run-guest.sh, run-dmwc-guest.sh) with its output in {@code runnerOut}: a
   * file, not a pipe, since a blocking read could outlive every timeout. The scripts bound qemu with
   * timeout(1) themselves; this kills the process tree 30 s after {@code timeoutMs} as a backstop.
   */
  static RunnerOutput runBounded(List<String> cmd, Path runnerOut, long timeoutMs)
      throws IOException, InterruptedException {
    long startNs = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(runnerOut.toFile()).start();
    if (!p.waitFor(timeoutMs + 30_000, TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    long wallMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
    boolean exitedZero = !p.isAlive() && p.exitValue() == 0;
    return new RunnerOutput(Files.readString(runnerOut, StandardCharsets.ISO_8859_1), wallMs, exitedZero);
  }
}

package io.pmtarget.it.kernel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Minimal launcher of the stock Linux target {@code tgtd} (package {@code tgt}) on 127.0.0.1,
 * driven with {@code tgtadm}. Kept inside this package so the kernel test does not depend on the
 * general target abstraction; the coordinator may replace it.
 *
 * <p>tgtd facts relied on: LUN 0 is its controller, so the disk is LUN 1; digests stay None
 * until HeaderDigest/DataDigest are updated on the target; it ignores SIGTERM while targets
 * exist, so stop deletes them ({@code --force}) and then the system.
 */
public final class TgtdKernelTarget implements KernelTarget {
  static final long BACKING_SIZE_BYTES = 96L << 20;
  private static final long START_TIMEOUT_MS = 10_000;
  private static final String IQN = "iqn.2026-01.io.pmtarget:kernel-it";

  private final Path logDir;
  private Process tgtd;
  private int controlPort;

  public TgtdKernelTarget(Path logDir) {
    this.logDir = logDir;
  }

  @Override
  public String name() {
    return "tgtd";
  }

  @Override
  public Endpoint start(KernelVariant variant, Path backingFile)
      throws IOException, InterruptedException {
    if (tgtd != null) {
      throw new IllegalStateException("tgtd already running (control port " + controlPort + ")");
    }
    if (!Files.exists(backingFile)) {
      try (var raf = new java.io.RandomAccessFile(backingFile.toFile(), "rw")) {
        raf.setLength(BACKING_SIZE_BYTES);
      }
    }
    int port = freeTcpPort();
    controlPort = freeControlPort();
    Files.createDirectories(logDir);
    Path log = logDir.resolve("tgtd-" + controlPort + ".log");
    tgtd = new ProcessBuilder("tgtd", "-f", "-C", Integer.toString(controlPort),
            "--iscsi", "portal=127.0.0.1:" + port)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    waitUntilUp(port, log);
    adm("--op", "new", "--mode", "target", "--tid", "1", "-T", IQN);
    adm("--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", "1",
        "--bstype", "rdwr", "-b", backingFile.toString());
    adm("--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
    if (variant.chap) {
      adm("--op", "new", "--mode", "account", "--user", KernelVariant.INITIATOR_USER,
          "--password", KernelVariant.INITIATOR_SECRET);
      adm("--op", "bind", "--mode", "account", "--tid", "1", "--user", KernelVariant.INITIATOR_USER);
    }
    if (variant.mutualChap) {
      adm("--op", "new", "--mode", "account", "--user", KernelVariant.TARGET_USER,
          "--password", KernelVariant.TARGET_SECRET);
      adm("--op", "bind", "--mode", "account", "--tid", "1", "--user", KernelVariant.TARGET_USER,
          "--outgoing");
    }
    if (variant.digests) {
      adm("--op", "update", "--mode", "target", "--tid", "1", "-n", "HeaderDigest", "-v", "CRC32C,None");
      adm("--op", "update", "--mode", "target", "--tid", "1", "-n", "DataDigest", "-v", "CRC32C,None");
    }
    return new Endpoint(port, IQN);
  }

  @Override
  public void stop() throws IOException, InterruptedException {
    if (tgtd == null) {
      return;
    }
    try {
      if (tgtd.isAlive()) {
        admQuiet("--op", "delete", "--mode", "target", "--tid", "1", "--force");
        admQuiet("--op", "delete", "--mode", "system");
        if (!tgtd.waitFor(5, TimeUnit.SECONDS)) {
          tgtd.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    } finally {
      tgtd = null;
    }
  }

  private void waitUntilUp(int port, Path log) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
    while (System.nanoTime() < deadline) {
      if (!tgtd.isAlive()) {
        throw new IOException("tgtd exited with " + tgtd.exitValue() + ": " + Files.readString(log));
      }
      if (admQuiet("--op", "show", "--mode", "sys") == 0 && accepts(port)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IOException("tgtd not listening on 127.0.0.1:" + port + " after " + START_TIMEOUT_MS
        + " ms: " + Files.readString(log));
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private List<String> admCommand(String... args) {
    List<String> cmd = new ArrayList<>(List.of("tgtadm", "-C", Integer.toString(controlPort),
        "--lld", "iscsi"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  private void adm(String... args) throws IOException, InterruptedException {
    List<String> cmd = admCommand(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("tgtadm failed: " + String.join(" ", cmd) + ": " + out);
    }
  }

  private int admQuiet(String... args) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(admCommand(args)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  private static int freeTcpPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** tgtd's control "port" names a unix socket /var/run/tgtd/socket.N: pick an unused N. */
  private static int freeControlPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int n = ThreadLocalRandom.current().nextInt(1000, 30000);
      if (!Files.exists(Path.of("/var/run/tgtd/socket." + n))) {
        return n;
      }
    }
    throw new IllegalStateException("no free tgtd control port in 100 attempts");
  }
}

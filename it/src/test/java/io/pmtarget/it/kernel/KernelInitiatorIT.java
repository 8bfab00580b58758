package io.pmtarget.it.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real Linux initiator (open-iscsi iscsid/iscsiadm + the iscsi_tcp kernel module, in a qemu
 * TCG guest) discovers, logs in, partitions, mkfs.ext4's, mounts, fills and verifies a LUN; all
 * traffic on loopback (see it/kernel/run-guest.sh for the network namespace + guestfwd).
 *
 * <p>Target: {@code -Dit.kernel.target=tgtd} (default, the stock Linux target) or
 * {@code pmtarget} (our server; not wired here yet). Host prerequisites:
 * {@code .ci/install-kernel-deps.sh}; root (for {@code unshare --net}).
 * Console logs: {@code it/target/kernel-it/guest-*.log}.
 */
class KernelInitiatorIT {
  private static final long BOOT_TIMEOUT_MS = 150_000;
  private static final long BUILD_TIMEOUT_MS = 300_000;
  private static final Path LOG_DIR = Path.of("target", "kernel-it").toAbsolutePath();
  private static QemuGuest guest;

  @TempDir Path tmp;

  @BeforeAll
  static void buildGuest() throws IOException, InterruptedException {
    for (String tool : List.of("qemu-system-x86_64", "unshare", "nsenter", "socat", "tgtd",
        "tgtadm", "busybox", "iscsiadm", "cpio", "depmod")) {
      if (!onPath(tool)) {
        fail("host tool '" + tool + "' missing: run .ci/install-kernel-deps.sh");
      }
    }
    // qemu runs in a fresh network namespace and the guestfwd command nsenter's back into ours:
    // both need root (CAP_SYS_ADMIN over the host namespace), not just a user namespace.
    Process probe = new ProcessBuilder("unshare", "--net", "--", "true").redirectErrorStream(true)
        .start();
    String probeOut = new String(probe.getInputStream().readAllBytes());
    if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
      fail("`unshare --net` does not work here (need root): " + probeOut);
    }
    guest = new QemuGuest(QemuGuest.findScriptDir(), LOG_DIR);
    long startNs = System.nanoTime();
    guest.build(BUILD_TIMEOUT_MS);
    System.out.printf("KernelInitiatorIT: guest kernel+initramfs ready in %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs));
  }

  /** One boot per variant: write 16 MiB + 200 files, logout, login, e2fsck -fn, verify. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("selectedVariants")
  @Timeout(value = 200, unit = TimeUnit.SECONDS)
  void writeRelogCheckVerify(KernelVariant variant) throws Exception {
    try (KernelTarget target = newTarget()) {
      KernelTarget.Endpoint endpoint = target.start(variant, tmp.resolve("lun.img"));
      QemuGuest.Verdict v = guest.boot(variant.name(), endpoint, variant, "write", null,
          BOOT_TIMEOUT_MS);
      report(target, variant.name(), v);
      assertTrue(v.pass(), v.line() + " (console: " + v.consoleLog() + ")");
      assertTrue(v.line().contains("hdr=" + variant.digestValue() + " data=" + variant.digestValue()),
          "negotiated digests not as requested: " + v.line());
    }
  }

  /**
   * Write boot, target stopped and started again on the same backing file, second boot that
   * only logs in, runs e2fsck -fn and checks every checksum the first boot recorded (and that
   * the checksum list itself hashes to what the first boot reported).
   */
  @Test
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  void writeRestartTargetVerify() throws Exception {
    KernelVariant variant = KernelVariant.MUTUAL_CHAP_DIGESTS;
    Path lun = tmp.resolve("lun-restart.img");
    String sums;
    try (KernelTarget target = newTarget()) {
      QemuGuest.Verdict w = guest.boot("restart-write", target.start(variant, lun), variant,
          "write", null, BOOT_TIMEOUT_MS);
      report(target, "restart-write", w);
      assertTrue(w.pass(), w.line() + " (console: " + w.consoleLog() + ")");
      sums = w.sums().orElseThrow(() -> new AssertionError("no sums= in " + w.line()));
    }
    try (KernelTarget target = newTarget()) {
      QemuGuest.Verdict r = guest.boot("restart-verify", target.start(variant, lun), variant,
          "verify", sums, BOOT_TIMEOUT_MS);
      report(target, "restart-verify", r);
      assertTrue(r.pass(), r.line() + " (console: " + r.consoleLog() + ")");
      assertEquals(sums, r.sums().orElse(null), "verify boot saw a different checksum list");
    }
  }

  /**
   * The single-boot variants, or only those named in {@code -Dit.kernel.variants=CHAP,...}
   * (to run one variant alone; an unknown name is an error, not an empty run).
   */
  static List<KernelVariant> selectedVariants() {
    List<KernelVariant> all = List.of(KernelVariant.NO_AUTH, KernelVariant.CHAP,
        KernelVariant.MUTUAL_CHAP, KernelVariant.CRC32C_DIGESTS);
    String only = System.getProperty("it.kernel.variants", "").strip();
    if (only.isEmpty()) {
      return all;
    }
    return Arrays.stream(only.split(",")).map(String::strip).map(KernelVariant::valueOf).toList();
  }

  private static KernelTarget newTarget() {
    String which = System.getProperty("it.kernel.target", "pmtarget");
    switch (which) {
      case "tgtd":
        return new TgtdKernelTarget(LOG_DIR);
      case "pmtarget":
        return new PmtargetKernelTarget();
      default:
        throw new IllegalArgumentException("-Dit.kernel.target must be tgtd or pmtarget, not " + which);
    }
  }

  private static void report(KernelTarget target, String label, QemuGuest.Verdict v) {
    System.out.printf("KernelInitiatorIT[%s/%s]: %s in %d ms wall | %s%n", target.name(), label,
        v.pass() ? "PASS" : "FAIL", v.wallMs(), v.line());
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    for (String dir : List.of("/usr/sbin", "/sbin")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}

package io.pmtarget.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stock Linux target daemon (Debian package {@code tgt}) as the reference peer. One target
 * (tid 1) with the data LUN as LUN 1 ({@code --bstype rdwr}) on a thick file in /dev/shm; tgtd
 * puts a controller on LUN 0 itself. Each instance uses its own control socket ({@code -C N},
 * N derived from the portal port) so several tgtd can run at once.
 *
 * <p>Stopping: tgtd ignores SIGTERM while it has targets (FACTS.md), so we delete the target
 * with {@code --force}, then the system, then wait; SIGKILL after {@link #STOP_TIMEOUT}.
 */
public final class TgtdTarget implements TargetUnderTest {

    public static final String IQN = "iqn.2026-11.io.pmtarget.it:tgtd";
    private static final int TID = 1;
    private static final int DATA_LUN = 1;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration TGTADM_TIMEOUT = Duration.ofSeconds(20);
    private static final int ZERO_CHUNK_BYTES = 1 << 20;
    private static final String CONTROL_SOCKET_PREFIX = "/var/run/tgtd/socket.";

    private final TargetOptions options;
    private final Path workDir;
    private final Path lunFile;
    private final int port;
    private final int controlIndex;
    private Process process;
    private int starts;

    public TgtdTarget(TargetOptions options) {
        this.options = options;
        this.workDir = Net.workDir("tgtd");
        this.lunFile = Net.shmDir("tgtd").resolve("lun1.img");
        this.port = Net.freeLoopbackPort();
        this.controlIndex = freeControlIndex(port);
    }

    /**
     * tgtadm accepts {@code -C} only in 0..32767; the socket is /var/run/tgtd/socket.N. Derive N
     * from the (unique) port and step past indexes whose socket already exists.
     */
    private static int freeControlIndex(int port) {
        int indexCount = 32767;
        int n = port % indexCount + 1;
        for (int tries = 0; tries < 100; tries++, n = n % indexCount + 1) {
            if (!Files.exists(Path.of(CONTROL_SOCKET_PREFIX + n))) {
                return n;
            }
        }
        throw new IllegalStateException("no free tgtd control index near " + (port % indexCount + 1));
    }

    @Override
    public String name() {
        return "tgtd";
    }

    @Override
    public void start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("tgtd already started (pid " + process.pid() + ")");
        }
        Path tgtd = Tools.require("tgtd");
        Tools.require("tgtadm");
        if (!Files.exists(lunFile)) {
            writeThickZeros(lunFile, options.lunSizeBytes());
        }
        starts++;
        Path log = workDir.resolve("tgtd-" + starts + ".log");
        // setsid: own session, so CPU comparisons are not skewed by the kernel's per-session
        // scheduling (FACTS.md); it execs in place, so process.pid() is tgtd's pid.
        List<String> cmd = List.of(Tools.require("setsid").toString(), tgtd.toString(), "-f",
                "-C", Integer.toString(controlIndex), "--iscsi", "portal=" + IscsiUrl.HOST + ":" + port);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            awaitControl();
            configure();
            Net.awaitPort(port, START_TIMEOUT, process::isAlive, "tgtd (log " + log + ")");
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private void awaitControl() {
        long deadlineNs = System.nanoTime() + START_TIMEOUT.toNanos();
        Exec.Result last = null;
        while (System.nanoTime() < deadlineNs) {
            last = Exec.run(tgtadm("--op", "show", "--mode", "sys"), TGTADM_TIMEOUT);
            if (last.ok()) {
                return;
            }
            if (!process.isAlive()) {
                break;
            }
            Net.sleepMs(50);
        }
        throw new IllegalStateException("tgtd control socket " + controlIndex + " never answered: "
                + (last == null ? "no attempt" : last.describe()));
    }

    private void configure() {
        String tid = Integer.toString(TID);
        tgtadmOk("--op", "new", "--mode", "target", "--tid", tid, "-T", IQN);
        tgtadmOk("--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", Integer.toString(DATA_LUN),
                "--bstype", "rdwr", "-b", lunFile.toString());
        if (options.chap()) {
            tgtadmOk("--op", "new", "--mode", "account", "--user", options.chapUser(),
                    "--password", options.chapSecret());
            tgtadmOk("--op", "bind", "--mode", "account", "--tid", tid, "--user", options.chapUser());
        }
        if (options.mutualChap()) {
            tgtadmOk("--op", "new", "--mode", "account", "--user", options.mutualUser(),
                    "--password", options.mutualSecret());
            tgtadmOk("--op", "bind", "--mode", "account", "--tid", tid, "--user", options.mutualUser(),
                    "--outgoing");
        }
        if (options.headerDigest()) {
            tgtadmOk("--op", "update", "--mode", "target", "--tid", tid, "-n", "HeaderDigest",
                    "-v", "CRC32C,None");
        }
        tgtadmOk("--op", "bind", "--mode", "target", "--tid", tid, "-I", "ALL");
    }

    private List<String> tgtadm(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Tools.require("tgtadm").toString(),
                "-C", Integer.toString(controlIndex), "--lld", "iscsi"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private void tgtadmOk(String... args) {
        Exec.Result r = Exec.run(tgtadm(args), TGTADM_TIMEOUT);
        if (!r.ok()) {
            throw new IllegalStateException("tgtadm failed: " + r.describe());
        }
    }

    @Override
    public void restart() throws IOException {
        stop();
        start();
    }

    /** Stops tgtd and deletes the LUN file: /dev/shm is RAM, so nothing may pile up there. */
    @Override
    public void close() {
        stop();
        Net.deleteTree(lunFile.getParent());
        deleteControlSocket();
    }

    /** tgtd leaves /var/run/tgtd/socket.N(.lock) behind even after a clean stop; they would pile up. */
    private void deleteControlSocket() {
        for (String suffix : new String[] {"", ".lock"}) {
            try {
                Files.deleteIfExists(Path.of(CONTROL_SOCKET_PREFIX + controlIndex + suffix));
            } catch (IOException e) {
                System.err.println("cannot delete tgtd control socket: " + e);
            }
        }
    }

    @Override
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        p.destroyForcibly();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name() + " pid " + p.pid() + " survived SIGKILL for "
                        + STOP_TIMEOUT.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        try {
            if (p.isAlive()) {
                Exec.run(tgtadm("--op", "delete", "--mode", "target", "--tid", Integer.toString(TID),
                        "--force"), TGTADM_TIMEOUT);
                Exec.run(tgtadm("--op", "delete", "--mode", "system"), TGTADM_TIMEOUT);
            }
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Thick: every block allocated, as the "tgtd on a thick LUN" numbers assume. */
    static void writeThickZeros(Path file, long sizeBytes) throws IOException {
        Files.createDirectories(file.getParent());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(ZERO_CHUNK_BYTES);
            for (long pos = 0; pos < sizeBytes; pos += ZERO_CHUNK_BYTES) {
                zeros.clear().limit((int) Math.min(ZERO_CHUNK_BYTES, sizeBytes - pos));
                while (zeros.hasRemaining()) {
                    ch.write(zeros, pos + zeros.position());
                }
            }
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create LUN file " + file, e);
        }
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String iqn() {
        return IQN;
    }

    @Override
    public int lun() {
        return DATA_LUN;
    }

    @Override
    public TargetOptions options() {
        return options;
    }

    @Override
    public long pid() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("tgtd is not running");
        }
        return p.pid();
    }

    @Override
    public Path workDir() {
        return workDir;
    }

    @Override
    public String toString() {
        return "tgtd[" + IscsiUrl.HOST + ":" + port + ", " + options.describe() + "]";
    }
}

package io.pmtarget.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Loopback ports, temp dirs and waiting for a portal. */
public final class Net {

    private static final int CONNECT_TIMEOUT_MS = 200;
    private static final int POLL_INTERVAL_MS = 50;

    private Net() {
    }

    /** A TCP port on 127.0.0.1 that was free a moment ago (the usual bind-to-0 race applies). */
    public static int freeLoopbackPort() {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    public static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Waits until 127.0.0.1:port accepts a connection. {@code alive} is checked every round so a
     * process that died at start-up fails fast instead of after the whole timeout.
     */
    public static void awaitPort(int port, Duration timeout, BooleanSupplier alive, String what) {
        long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadlineNs) {
            if (accepts(port)) {
                return;
            }
            if (!alive.getAsBoolean()) {
                throw new IllegalStateException(what + " exited before port " + port + " accepted connections");
            }
            sleepMs(POLL_INTERVAL_MS);
        }
        throw new IllegalStateException(what + ": port " + port + " did not accept connections within "
                + timeout.toMillis() + " ms");
    }

    /** A fresh directory under it/target (or java.io.tmpdir) that is kept for post-mortems. */
    public static Path workDir(String prefix) {
        try {
            Path base = Path.of(System.getProperty("it.workdir", "target/it-work"));
            Files.createDirectories(base);
            return Files.createTempDirectory(base.toAbsolutePath(), prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create work dir", e);
        }
    }

    /** A fresh directory on /dev/shm (tmpfs) for LUN backing files, falling back to tmpdir. */
    public static Path shmDir(String prefix) {
        try {
            Path shm = Path.of("/dev/shm");
            Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                    : Path.of(System.getProperty("java.io.tmpdir"));
            return Files.createTempDirectory(base, "pmtarget-it-" + prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create shm dir", e);
        }
    }

    /** Deletes a directory tree (no symlinks followed); failures are reported, not thrown. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("cannot delete " + p + ": " + e);
                }
            });
        } catch (IOException e) {
            System.err.println("cannot delete " + dir + ": " + e);
        }
    }

    public static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}

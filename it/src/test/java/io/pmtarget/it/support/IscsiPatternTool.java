package io.pmtarget.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * it/src/test/c/iscsi-pattern.c, built once per JVM with gcc against libiscsi-dev: moves raw
 * blocks stdin -> LUN (WRITE(16) + SYNCHRONIZE CACHE(16)) and LUN -> stdout (READ(10)). Missing
 * gcc or libiscsi headers fail the test, naming the package.
 */
public final class IscsiPatternTool {

    private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);
    private static Path binary;

    private IscsiPatternTool() {
    }

    public static synchronized Path binary() {
        if (binary != null) {
            return binary;
        }
        Path gcc = Tools.require("gcc");
        Tools.requireFile(Path.of("/usr/include/iscsi/iscsi.h"), "libiscsi-dev");
        Path source = Path.of(System.getProperty("it.csource", "src/test/c")).resolve("iscsi-pattern.c");
        Path outDir = Path.of(System.getProperty("it.cbuild", "target/c"));
        try {
            Files.createDirectories(outDir);
            Path tmp = Files.createTempFile(outDir, "iscsi-pattern-", ".bin");
            Exec.Result r = Exec.run(List.of(gcc.toString(), "-O2", "-Wall", "-Werror", "-o", tmp.toString(),
                    source.toString(), "-liscsi"), BUILD_TIMEOUT);
            if (!r.ok()) {
                throw new AssertionError("cannot build " + source + ": " + r.describe());
            }
            binary = Files.move(tmp, outDir.resolve("iscsi-pattern"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            return binary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the bytes of {@code data} (a whole number of blocks) at {@code lba}, then syncs. */
    public static Exec.Result write(IscsiUrl url, String initiator, boolean headerDigest, long lba, long blocks,
                                    Path data, Duration timeout) {
        return Exec.run(command("write", url, initiator, headerDigest, lba, blocks), timeout, data);
    }

    /** Reads {@code blocks} blocks at {@code lba} into {@code into}. */
    public static Exec.Result read(IscsiUrl url, String initiator, boolean headerDigest, long lba, long blocks,
                                   Path into, Duration timeout) {
        try {
            Path err = Files.createTempFile("iscsi-pattern-", ".err");
            try {
                return Exec.run(command("read", url, initiator, headerDigest, lba, blocks), timeout, null, into, err);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> command(String mode, IscsiUrl url, String initiator, boolean headerDigest,
                                        long lba, long blocks) {
        List<String> cmd = new ArrayList<>(List.of(binary().toString(), mode, "-i", initiator));
        if (headerDigest) {
            cmd.add("-H");
        }
        cmd.addAll(List.of(url.toString(), Long.toString(lba), Long.toString(blocks)));
        return cmd;
    }
}

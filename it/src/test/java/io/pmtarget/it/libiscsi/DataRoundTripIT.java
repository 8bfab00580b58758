package io.pmtarget.it.libiscsi;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiPatternTool;
import io.pmtarget.it.support.Net;
import io.pmtarget.it.support.TargetOptions;
import io.pmtarget.it.support.TargetUnderTest;
import io.pmtarget.it.support.Targets;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Known patterns written with WRITE(16) + SYNCHRONIZE CACHE(16), the target restarted, then read
 * back with READ(10) by a second process: byte-exact. Each 512-byte block starts with its LBA and
 * the seed, so a block written to the wrong place is named, not just "differs".
 */
class DataRoundTripIT {

    private static final int BLOCK_BYTES = 512;
    private static final long LUN_SIZE_BYTES = 64 * TargetOptions.MIB;
    private static final long LUN_BLOCKS = LUN_SIZE_BYTES / BLOCK_BYTES;
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(60);
    private static final String INITIATOR = "iqn.2026-11.io.pmtarget.it:roundtrip";

    static List<Targets.Factory> targets() {
        return Targets.enabled();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void patternsSurviveARestartByteExact(Targets.Factory factory) throws Exception {
        roundTrip(factory, TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES), false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void patternsSurviveARestartWithMutualChapAndHeaderDigest(Targets.Factory factory) throws Exception {
        TargetOptions o = TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES)
                .withChap("it-initiator", "initiator-secret-1").withMutualChap("it-target", "target-secret-22")
                .withHeaderDigest(true);
        roundTrip(factory, o, true);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void synchronizedPatternsSurviveAKill9(Targets.Factory factory) throws Exception {
        roundTrip(factory, TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES), false, true);
    }

    private static void roundTrip(Targets.Factory factory, TargetOptions options, boolean headerDigest)
            throws Exception {
        roundTrip(factory, options, headerDigest, false);
    }

    /** @param crash true: SIGKILL then start (data was acknowledged after SYNCHRONIZE CACHE); false: clean restart */
    private static void roundTrip(Targets.Factory factory, TargetOptions options, boolean headerDigest,
                                  boolean crash) throws Exception {
        long seed = System.nanoTime();
        System.out.println("DataRoundTripIT seed=" + seed);
        Path dir = Net.workDir("roundtrip");
        // Three extents: the first blocks, an unaligned run in the middle (crosses 64 KiB chunks),
        // and the last blocks of the LUN (off-by-one at the end is a classic).
        long[][] extents = {{0, 256}, {100_003, 2_311}, {LUN_BLOCKS - 129, 129}};
        try (TargetUnderTest t = factory.start(options)) {
            Exec.Result cap = LibiscsiTools.readCapacity16(t.url().toString());
            assertTrue(cap.ok() && String.valueOf(BLOCK_BYTES).equals(
                    LibiscsiTools.field(cap.stdout(), "LOGICAL BLOCK LENGTH IN BYTES")),
                    "this test's block arithmetic needs a " + BLOCK_BYTES + "-byte LUN: " + cap.describe());
            for (long[] e : extents) {
                Path data = dir.resolve("w-" + e[0] + ".bin");
                Files.write(data, pattern(seed, e[0], (int) e[1]));
                Exec.Result w = IscsiPatternTool.write(t.url(), INITIATOR, headerDigest, e[0], e[1], data, IO_TIMEOUT);
                assertTrue(w.ok(), "write failed, seed " + seed + ": " + w.describe());
            }
            long pidBefore = t.pid();
            if (crash) {
                t.kill();
                t.start();
            } else {
                t.restart();
            }
            assertNotEquals(pidBefore, t.pid(), "restart must start a new process");
            for (long[] e : extents) {
                Path back = dir.resolve("r-" + e[0] + ".bin");
                Exec.Result r = IscsiPatternTool.read(t.url(), INITIATOR, headerDigest, e[0], e[1], back, IO_TIMEOUT);
                assertTrue(r.ok(), "read failed, seed " + seed + ": exit " + r.exitCode() + " " + r.stderr());
                compare(pattern(seed, e[0], (int) e[1]), Files.readAllBytes(back), e[0], seed);
            }
        }
    }

    /** Block i: [lba (8 bytes)][seed (8 bytes)][random bytes from (seed, lba)]. */
    static byte[] pattern(long seed, long firstLba, int blocks) {
        byte[] out = new byte[blocks * BLOCK_BYTES];
        ByteBuffer b = ByteBuffer.wrap(out);
        byte[] noise = new byte[BLOCK_BYTES - 16];
        for (int i = 0; i < blocks; i++) {
            long lba = firstLba + i;
            new SplittableRandom(seed ^ (lba * 0x9E3779B97F4A7C15L)).nextBytes(noise);
            b.putLong(lba).putLong(seed).put(noise);
        }
        return out;
    }

    private static void compare(byte[] expected, byte[] actual, long firstLba, long seed) {
        if (Arrays.equals(expected, actual)) {
            return;
        }
        if (expected.length != actual.length) {
            fail("read " + actual.length + " bytes, expected " + expected.length + " at LBA " + firstLba
                    + ", seed " + seed);
        }
        int at = Arrays.mismatch(expected, actual);
        long lba = firstLba + at / BLOCK_BYTES;
        long foundLba = ByteBuffer.wrap(actual, at / BLOCK_BYTES * BLOCK_BYTES, 8).getLong();
        fail("first difference at LBA " + lba + " byte " + (at % BLOCK_BYTES) + "; that block's header says LBA "
                + foundLba + " (seed " + seed + ")");
    }
}

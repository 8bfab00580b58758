package io.pmtarget.it.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiPatternTool;
import io.pmtarget.it.support.Net;
import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetOptions;
import io.pmtarget.it.support.Targets;
import io.pmtarget.it.support.Tools;
import io.pmtarget.it.support.VolumeTuning;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The backing device fails under a running server (DESIGN 2.4: sticky error, writeback stops,
 * cached data is kept and readable). The fault: the backing file is a sparse file on a small
 * tmpfs ({@code mount -t tmpfs -o size=4m}, root only, no kernel module) that a filler file fills
 * up, so writeback's first write into a hole fails with ENOSPC. Then:
 * <ol>
 *   <li>status shows the sticky error; writes after it still return GOOD (they are cached);</li>
 *   <li>reads over iSCSI return the newest data of every block (nothing cached was dropped);</li>
 *   <li>the filler is deleted (fault removed) and the server restarted: writeback completes, and
 *       the backing file read directly equals the expected image byte for byte.</li>
 * </ol>
 * Our server only (tgtd has no cache to fail behind): skipped, and says so, with {@code -Dit.pmtarget=false}.
 */
class BackingFailureIT {

    private static final long LUN_SIZE_BYTES = 32 * TargetOptions.MIB;
    private static final String TMPFS_SIZE = "4m";
    /** 8 MiB of cache (~15,800 blocks of 512 bytes) holds the whole 2 MiB working set several times. */
    private static final long CACHE_SIZE_BYTES = 8 * TargetOptions.MIB;
    private static final long SLOTS = 512;
    private static final int BLOCKS_PER_WRITE = 8;
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(20);
    private static final int FILL_CHUNK_BYTES = 64 * 1024;

    @Test
    void backingWriteErrorIsStickyKeepsCachedDataAndRecoversByteExact() throws Exception {
        Assumptions.assumeTrue(Targets.pmtargetEnabled(), Targets.DISABLED_NOTE);
        Path mount = Net.workDir("backing-fault").resolve("tmpfs");
        Files.createDirectories(mount);
        mountTmpfs(mount);
        try {
            Path backing = mount.resolve("itvol.img");
            VolumeTuning tuning = VolumeTuning.defaults().withCacheSizeBytes(CACHE_SIZE_BYTES)
                    .withBackingFile(backing).withOption("high_watermark", "5").withOption("low_watermark", "1");
            try (PmtargetServer server = new PmtargetServer(TargetOptions.defaults().withLunSizeBytes(LUN_SIZE_BYTES),
                    tuning)) {
                server.start();
                Path filler = mount.resolve("filler");
                long fillerBytes = fill(filler);
                System.out.println("BackingFailureIT: tmpfs " + mount + " full after a " + fillerBytes
                        + "-byte filler; backing file " + backing);
                runAndCheck(server, backing, filler);
            }
        } finally {
            Exec.Result r = Exec.run(List.of(Tools.require("umount").toString(), mount.toString()), MOUNT_TIMEOUT);
            assertTrue(r.ok(), "umount " + mount + ": " + r.describe());
        }
    }

    private void runAndCheck(PmtargetServer server, Path backing, Path filler) throws Exception {
        WriteLog before = runToEnd(server, 1, 3000);
        AdminStatus failed = awaitStatus(server, s -> !s.error().isEmpty(), "a sticky error in status");
        System.out.println("BackingFailureIT: status after the fault: error='" + failed.error() + "' free "
                + failed.blocksFree() + "/" + failed.blocksTotal());
        long writesBefore = failed.counter("writes");
        WriteLog after = runToEnd(server, 2, 2000);
        AdminStatus still = AdminStatus.fetch(server.adminSocket());
        assertTrue(!still.error().isEmpty(), "the error must be sticky, status now: " + still);
        assertTrue(still.counter("writes") >= writesBefore + after.ackedWrites(), "writes after the error were not"
                + " counted as cached: " + writesBefore + " before, " + still);
        byte[] expected = expectedImage(List.of(before, after), 1);
        assertArrayEquals(expected, readLun(server), "reads over iSCSI after the backing error do not return the"
                + " newest data (a cached block was dropped or an old one shows through)");

        Files.delete(filler);
        server.restart();
        AdminStatus restarted = AdminStatus.fetch(server.adminSocket());
        assertEquals("", restarted.error(), "error after restart with the fault removed: " + restarted);
        AdminStatus.message(server.adminSocket(), "flush");
        AdminStatus clean = awaitStatus(server, s -> s.blocksFree() == s.blocksTotal() && s.blocksWriteback() == 0,
                "all blocks written back (blocks_free == blocks_total)");
        System.out.println("BackingFailureIT: after restart + flush: " + describe(clean));
        assertArrayEquals(expected, readBackingFile(backing, expected.length),
                "the backing file, read directly after writeback, differs from what was acknowledged");
        assertArrayEquals(expected, readLun(server), "reads over iSCSI after writeback differ");
        System.out.println("BackingFailureIT: OK: " + before.ackedWrites() + " + " + after.ackedWrites()
                + " writes acknowledged, " + expected.length + " bytes byte-exact on the backing file");
    }

    /** Runs iscsi-crashload to completion (no kill) and insists it ended cleanly. */
    private static WriteLog runToEnd(PmtargetServer server, int round, long writes) throws Exception {
        CrashLoad.Params p = new CrashLoad.Params(round, 0x5EED0000L + round, 0, SLOTS, BLOCKS_PER_WRITE, 16, 10,
                TOOL_TIMEOUT.toMillis(), writes);
        try (CrashLoad load = CrashLoad.start(server.url(), CrashRunner.INITIATOR, p,
                server.workDir().resolve("backing-load-" + round + ".err"))) {
            int exit = load.awaitExit(TOOL_TIMEOUT);
            WriteLog log = WriteLog.parse(load.snapshot());
            assertTrue(exit == 0 && log.done() && log.ackedWrites() == writes, "round " + round
                    + ": every write must return GOOD while the backing device fails (exit " + exit + "): "
                    + load.tail());
            return log;
        }
    }

    /** The LUN image the logs leave, over the slots range: the last write of each block wins. */
    private static byte[] expectedImage(List<WriteLog> logs, int firstRound) {
        int blockBytes = logs.get(0).blockBytes();
        byte[] image = new byte[(int) (SLOTS * BLOCKS_PER_WRITE * blockBytes)];
        int round = firstRound;
        for (WriteLog log : logs) {
            for (WriteLog.Write w : log.writes().values()) {
                for (int i = 0; i < w.blocks(); i++) {
                    BlockFormat.encode(image, (int) ((w.lba() + i) * blockBytes), blockBytes, round, i, w.seq(),
                            w.lba() + i);
                }
            }
            round++;
        }
        return image;
    }

    private static byte[] readLun(PmtargetServer server) throws IOException {
        Path into = server.workDir().resolve("backing-readback.img");
        Exec.Result r = IscsiPatternTool.read(server.url(), CrashRunner.INITIATOR, false, 0, SLOTS * BLOCKS_PER_WRITE,
                into, TOOL_TIMEOUT);
        assertTrue(r.ok(), "read over iSCSI failed: " + r.describe());
        return Files.readAllBytes(into);
    }

    private static byte[] readBackingFile(Path backing, int lengthBytes) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(lengthBytes);
        try (FileChannel ch = FileChannel.open(backing, StandardOpenOption.READ)) {
            while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) {
                // read until full or end of file
            }
        }
        return buf.array();
    }

    private static AdminStatus awaitStatus(PmtargetServer server, java.util.function.Predicate<AdminStatus> wanted,
                                           String what) throws Exception {
        long deadlineNs = System.nanoTime() + STATE_TIMEOUT.toNanos();
        AdminStatus last = null;
        while (System.nanoTime() < deadlineNs) {
            last = AdminStatus.fetch(server.adminSocket());
            if (wanted.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("status never showed " + what + " within " + STATE_TIMEOUT.toSeconds() + " s; last: "
                + last);
    }

    private static String describe(AdminStatus s) {
        return "error='" + s.error() + "' free " + s.blocksFree() + "/" + s.blocksTotal() + " writeback "
                + s.blocksWriteback() + " writeback_blocks " + s.counter("writeback_blocks");
    }

    private static void mountTmpfs(Path dir) {
        Exec.Result r = Exec.run(List.of(Tools.require("mount").toString(), "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE,
                "tmpfs", dir.toString()), MOUNT_TIMEOUT);
        assertTrue(r.ok(), "BackingFailureIT needs root to mount a small tmpfs (the fault): " + r.describe());
    }

    /** Fills the file system with {@code filler} until ENOSPC; returns the bytes written. */
    private static long fill(Path filler) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(FILL_CHUNK_BYTES);
        long written = 0;
        try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (true) {
                chunk.clear();
                written += ch.write(chunk);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        return written;
    }

}

package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commits by generation: an autocommit does not wait for writers of the generation it closes (it is left
 * pending and finished later), writers of the next generation go on meanwhile, and a writer whose generation
 * closed before it allocated enters again in the new one. Each case ends in simulated crashes that show
 * exactly which writes the durable seq_count covers.
 */
class GenerationCommitTest {

    private static final int BS = 4096;
    private static final int BLOCKS = 64;
    private static final long WAIT_MS = 10_000;

    private ExecutorService pool;
    private SimulatedPmemDevice pmem;
    private MemBackingDevice backing;

    @BeforeEach
    void startPool() {
        pool = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** A fresh volume on a simulated cache; autocommit by time is off, by blocks at {@code autocommitBlocks}. */
    private CacheVolume openVolume(int autocommitBlocks) throws Exception {
        pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, BLOCKS));
        backing = new MemBackingDevice(new Object(), BLOCKS * BS * 4);
        return (CacheVolume) TestVolumes.open(pmem, backing, BS,
                opts("autocommit_blocks", Integer.toString(autocommitBlocks), "autocommit_time", "3600000"));
    }

    /** The volume a simulated power failure now leaves (a random subset of unflushed words survives). */
    private Volume crashedCopy(long seed) throws Exception {
        return TestVolumes.open(pmem.crash(new Random(seed)), backing.crash(new Object(), new Random(seed)), BS,
                opts());
    }

    @Test
    void anAutocommitLeavesTheCommitPendingWhileAnOldWriterIsInsideAndNewWritesGoOn() throws Exception {
        CacheVolume v = openVolume(4);
        long gen = v.gate.generation();
        for (int b = 0; b < 3; b++) {
            v.write((long) b * BS, block(BS, 100 + b), false);
        }
        // This thread stands for a writer of generation gen still copying its block.
        long entered = v.gate.enterShared();
        assertEquals(gen, entered);
        // The fourth block reaches autocommit_blocks: the commit advances but must not wait for us.
        pool.submit(() -> {
            v.write(3L * BS, block(BS, 103), false);
            return null;
        }).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(gen + 1, v.gate.generation(), "the commit advanced the generation");
        assertEquals(gen, v.status().counters().get("seq_count"), "no commit point while a writer is inside");
        assertEquals(1, v.status().counters().get("commits_deferred"));
        // A write of the new generation goes on (and rewrites nothing of the old one in place).
        pool.submit(() -> {
            v.write(0, block(BS, 200), false);
            return null;
        }).get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(200, readTag(v, 0));
        // Crash now: seq_count never moved, so both generations are uncommitted and vanish.
        Volume before = crashedCopy(1);
        for (int b = 0; b < 4; b++) {
            assertEquals(0, readTag(before, (long) b * BS), "block " + b + " before the commit point");
        }
        before.close();

        v.gate.exitShared(entered);
        // The next write finishes the pending commit: generation gen only.
        v.write(10L * BS, block(BS, 110), false);
        assertEquals(gen + 1, v.status().counters().get("seq_count"), "the pending commit finished");
        Volume after = crashedCopy(2);
        for (int b = 0; b < 4; b++) {
            assertEquals(100 + b, readTag(after, (long) b * BS), "block " + b + " of the committed generation");
        }
        assertEquals(0, readTag(after, 10L * BS), "a write of the next generation stays uncommitted");
        assertNull(after.status().error());
        after.close();

        v.flush();
        Volume flushed = crashedCopy(3);
        assertEquals(200, readTag(flushed, 0), "the newer version wins once both are committed");
        assertEquals(110, readTag(flushed, 10L * BS));
        flushed.close();
        v.close();
    }

    @Test
    void aWriterWhoseGenerationClosedBeforeItAllocatedWritesInTheNextOne() throws Exception {
        CacheVolume v = openVolume(1000);
        v.write(5L * BS, block(BS, 105), false);
        v.write(7L * BS, block(BS, 107), false);
        v.flush();
        long gen = v.gate.generation();
        v.write(9L * BS, block(BS, 109), false); // something for the flush below to commit
        long sector = 7L * BS / CacheLayout.SECTOR_BYTES;
        IndexShard sh = v.index.shardOf(sector);
        Future<?> writer;
        Future<?> flusher;
        sh.lock();
        try {
            // The writer enters generation gen and stops at the shard lock, before it allocates.
            writer = pool.submit(() -> {
                v.write(7L * BS, block(BS, 207), false);
                return null;
            });
            awaitTrue(() -> !v.gate.drained(gen), "the writer entered the gate");
            // A flush advances to gen + 1 and waits for that writer to leave.
            flusher = pool.submit(() -> {
                v.flush();
                return null;
            });
            awaitTrue(() -> v.gate.generation() == gen + 1, "the flush advanced the generation");
            assertFalse(flusher.isDone(), "the commit point waits for the writer of its generation");
        } finally {
            sh.unlock();
        }
        writer.get(WAIT_MS, TimeUnit.MILLISECONDS);
        flusher.get(WAIT_MS, TimeUnit.MILLISECONDS);
        assertEquals(1, v.status().counters().get("stale_generation_retries"), "the writer entered again");
        assertEquals(gen + 1, v.status().counters().get("seq_count"));
        assertEquals(207, readTag(v, 7L * BS));
        // Its entry belongs to gen + 1, which nothing has committed: a crash keeps the old version.
        Volume r = crashedCopy(4);
        assertEquals(107, readTag(r, 7L * BS), "the retried write is not in the committed generation");
        assertEquals(109, readTag(r, 9L * BS));
        r.close();
        v.flush();
        Volume r2 = crashedCopy(5);
        assertEquals(207, readTag(r2, 7L * BS));
        assertTrue(!r2.readOnly() && r2.status().error() == null, "recovered cleanly: " + r2.status().error());
        r2.close();
        v.close();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(1);
        }
    }
}

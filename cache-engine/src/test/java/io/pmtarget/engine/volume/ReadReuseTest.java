package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Readers copy cache blocks outside the index lock; this checks that a block is never recycled for another
 * sector under a reader's copy. A tiny cache, constant overwrites (superseded versions freed at every commit)
 * and aggressive writeback make entries change owner thousands of times while readers check that every word
 * they read carries the block number they asked for (versions may mix, owners may not).
 */
class ReadReuseTest {

    private static final int BS = 512;
    private static final int BLOCKS = 64;

    @Test
    void readersNeverSeeAnotherBlocksData() throws Exception {
        long seed = System.nanoTime();
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 16));
        MemBackingDevice backing = new MemBackingDevice(new Object(), BLOCKS * BS);
        Volume v = TestVolumes.open(pmem, backing, BS, opts("autocommit_blocks", "2", "writeback_jobs", "4",
                "high_watermark", "10", "low_watermark", "0"));
        for (int b = 0; b < BLOCKS; b++) {
            v.write((long) b * BS, tagged(b, 0), false);
        }
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<String>> readers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long readerSeed = seed + t;
            readers.add(pool.submit(() -> readUntilStopped(v, new Random(readerSeed), stop, reads)));
        }
        List<Future<?>> writers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int id = t;
            writers.add(pool.submit(() -> {
                Random rnd = new Random(seed + 100 + id);
                for (int i = 1; i <= 5000; i++) {
                    int b = rnd.nextInt(BLOCKS);
                    v.write((long) b * BS, tagged(b, i), rnd.nextInt(50) == 0);
                }
                return null;
            }));
        }
        for (Future<?> w : writers) {
            w.get(120, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<String> r : readers) {
            String violation = r.get(60, TimeUnit.SECONDS);
            assertEquals(null, violation, "seed " + seed);
        }
        pool.shutdown();
        assertTrue(reads.get() > 0, "readers ran");
        long recycled = v.status().counters().get("writeback_blocks") + v.status().counters().get("commits");
        assertTrue(recycled > 100, "entries must have been recycled under the readers: " + v.status());
        v.close();
    }

    private static String readUntilStopped(Volume v, Random rnd, AtomicBoolean stop, AtomicLong reads)
            throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(BS);
        while (!stop.get()) {
            int b = rnd.nextInt(BLOCKS);
            buf.clear();
            v.read((long) b * BS, buf);
            reads.incrementAndGet();
            for (int i = 0; i < BS; i += 8) {
                long owner = buf.getLong(i) >>> 32;
                if (owner != b) {
                    return "block " + b + " word " + i / 8 + " holds data of block " + owner;
                }
            }
        }
        return null;
    }

    /** Every word: block number in the high half, version in the low half. */
    private static ByteBuffer tagged(int block, int version) {
        ByteBuffer b = ByteBuffer.allocate(BS);
        long word = ((long) block << 32) | version;
        while (b.hasRemaining()) {
            b.putLong(word);
        }
        return b.flip();
    }
}

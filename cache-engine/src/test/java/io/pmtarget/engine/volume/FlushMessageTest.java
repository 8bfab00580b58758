package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The "flush" message writes back what was cached when it arrived and returns even while a writer keeps the
 * cache busy (it used to wait for an empty cache, which a steady stream of writes never allows).
 */
class FlushMessageTest {

    private static final int BS = 512;
    private static final int KNOWN_BLOCKS = 16;
    private static final int BUSY_BLOCKS = 64;
    private static final long WRITES_DURING_FLUSH_MAX = 15_000;

    @Test
    void flushMessageIsNotStarvedBySteadyWrites() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 128));
        MemBackingDevice backing = new MemBackingDevice(new Object(), (KNOWN_BLOCKS + BUSY_BLOCKS) * BS);
        AtomicLong writes = new AtomicLong();
        // Set when the flush message is sent: from then on every backing write waits for a write to complete.
        AtomicBoolean flushSent = new AtomicBoolean();
        AtomicBoolean writerRanDuringWriteback = new AtomicBoolean();
        // Backing writes take 2 ms, so writeback is slower than the writer and the cache is never empty.
        Volume v = Volumes.open(TestVolumes.spec(BS, opts("high_watermark", "100", "low_watermark", "100",
                "autocommit_blocks", "4")), pmem, new SlowBacking(backing, writes, flushSent, writerRanDuringWriteback), CommitFault.NONE);
        for (int b = 0; b < KNOWN_BLOCKS; b++) {
            v.write((long) b * BS, block(BS, 1000 + b), false);
        }
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Future<?> writer = pool.submit(() -> {
            for (long i = 0; !stop.get(); i++) {
                v.write((KNOWN_BLOCKS + i % BUSY_BLOCKS) * BS, block(BS, i), false);
                writes.incrementAndGet();
            }
            return null;
        });
        while (writes.get() < 100) {
            Thread.sleep(1);
        }
        long before = writes.get();
        flushSent.set(true);
        Future<?> flush = pool.submit(() -> {
            v.message("flush");
            return null;
        });
        try {
            flush.get(30, TimeUnit.SECONDS);
            long during = writes.get() - before;
            assertTrue(during > 0, "the writer kept writing during the flush");
            assertTrue(writerRanDuringWriteback.get(), "a write completed while the flush's writeback ran");
            // Waiting for an empty cache took ~38 000 writes here (until the writer happened to stall); writing
            // back the arrival set takes a few batches (~80 writes). The bound leaves room for a loaded machine.
            assertTrue(during < WRITES_DURING_FLUSH_MAX, "flush waited for " + during + " later writes");
        } finally {
            stop.set(true);
            writer.get(30, TimeUnit.SECONDS);
            pool.shutdown();
        }
        ByteBuffer img = ByteBuffer.wrap(backing.snapshot());
        for (int b = 0; b < KNOWN_BLOCKS; b++) {
            assertEquals(1000 + b, img.getLong(b * BS), "block " + b + " written back by the flush message");
        }
        v.close();
    }

    /**
     * Delegates to a {@link MemBackingDevice}, each write taking {@value #WRITE_DELAY_MS} ms longer. Once the
     * flush message is sent, a write first waits (at most {@value #WRITER_WAIT_MS} ms) for the writer to
     * complete another write, and notes whether it did: so the flush cannot finish before the writer had a
     * chance to run (on a loaded machine a few milliseconds of writeback can pass with the writer thread
     * descheduled), and a flush that kept writers out while its writeback runs shows as a write that waited
     * in vain.
     */
    private static final class SlowBacking extends DelegatingBacking {
        static final long WRITE_DELAY_MS = 2;
        static final long WRITER_WAIT_MS = 5_000;
        private final AtomicLong writes;
        private final AtomicBoolean flushSent;
        private final AtomicBoolean writerRan;

        SlowBacking(MemBackingDevice inner, AtomicLong writes, AtomicBoolean flushSent, AtomicBoolean writerRan) {
            super(inner);
            this.writes = writes;
            this.flushSent = flushSent;
            this.writerRan = writerRan;
        }

        @Override
        public void write(long offsetBytes, ByteBuffer src) throws IOException {
            try {
                if (flushSent.get()) {
                    long start = writes.get();
                    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WRITER_WAIT_MS);
                    while (writes.get() == start && System.nanoTime() < deadlineNs) {
                        Thread.sleep(1);
                    }
                    if (writes.get() != start) {
                        writerRan.set(true);
                    }
                }
                Thread.sleep(WRITE_DELAY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("slow backing write interrupted");
            }
            inner.write(offsetBytes, src);
        }
    }
}

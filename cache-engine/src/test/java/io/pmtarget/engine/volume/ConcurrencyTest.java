package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Several writer threads (each owning its own blocks), FUA, flushes, discards and a small cache that forces
 * writeback and full-cache waits all at once; afterwards every block holds its owner's last write, in the
 * live volume, after a clean restart, and on the backing device after draining.
 */
class ConcurrencyTest {

    private static final int BS = 512;
    private static final int THREADS = 4;
    private static final int BLOCKS_PER_THREAD = 24;

    @Test
    void concurrentWritersDiscardsAndWritebackKeepEveryBlocksLastWrite() throws Exception {
        long seed = System.nanoTime();
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 32));
        MemBackingDevice backing = new MemBackingDevice(new Object(), THREADS * BLOCKS_PER_THREAD * BS);
        Volume v = TestVolumes.open(pmem, backing, BS, opts("autocommit_blocks", "8", "writeback_jobs", "4",
                "high_watermark", "40", "low_watermark", "20"));
        long[][] last = new long[THREADS][BLOCKS_PER_THREAD];
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int id = t;
            futures.add(pool.submit(() -> {
                Random rnd = new Random(seed + id);
                for (int i = 1; i <= 400; i++) {
                    int b = rnd.nextInt(BLOCKS_PER_THREAD);
                    long offset = (long) (id * BLOCKS_PER_THREAD + b) * BS;
                    int op = rnd.nextInt(20);
                    if (op == 0) {
                        v.discard(offset, BS);
                        last[id][b] = 0;
                    } else if (op == 1) {
                        v.flush();
                    } else {
                        long tag = ((long) id << 32) | i;
                        v.write(offset, block(BS, tag), op == 2);
                        last[id][b] = tag;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        check(v, last, "live, seed " + seed);
        assertFifoInSeqOrder((CacheVolume) v, "seed " + seed);
        assertFalse(v.readOnly());
        v.close();
        Volume r = TestVolumes.open(pmem.crash(new Random(seed)), backing.crash(new Object(), new Random(seed)), BS,
                opts());
        check(r, last, "after restart, seed " + seed);
        r.message("flush");
        assertEquals(32, r.status().blocksFree());
        r.close();
    }

    /**
     * Every shard's FIFO is in seq order (writeback's oldest-first merge and the commit walk rely on it):
     * writers only allocate while their generation is current, so a late writer never lands behind a newer
     * generation's entry.
     */
    static void assertFifoInSeqOrder(CacheVolume v, String when) {
        CacheIndex index = v.index;
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            sh.lock();
            try {
                long previous = 0;
                for (int e = index.fifoHead(sh); e != CacheIndex.NONE; e = index.fifoNext(e)) {
                    long seq = v.device.readLong(CacheLayout.entryOffset(e) + CacheLayout.ENTRY_SEQ_OFFSET);
                    if (index.has(e, CacheIndex.DROPPED) || seq == CacheLayout.SEQ_FREE) {
                        continue;
                    }
                    assertTrue(seq >= previous, when + ": shard " + s + " entry " + e + " has seq " + seq
                            + " after seq " + previous);
                    previous = seq;
                }
            } finally {
                sh.unlock();
            }
        }
    }

    private static void check(Volume v, long[][] last, String when) throws Exception {
        for (int t = 0; t < THREADS; t++) {
            for (int b = 0; b < BLOCKS_PER_THREAD; b++) {
                assertEquals(last[t][b], TestVolumes.readTag(v, (long) (t * BLOCKS_PER_THREAD + b) * BS),
                        when + ": thread " + t + " block " + b);
            }
        }
    }
}

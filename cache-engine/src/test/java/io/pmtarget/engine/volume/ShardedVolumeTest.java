package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A volume on a sharded index: writeback order across shards, stealing before waiting, concurrent writers. */
class ShardedVolumeTest {

    private static final int BS = 512;
    private final Object lock = new Object();

    @AfterEach
    void unforce() {
        CacheIndex.forcedShards = 0;
        CacheIndex.forcedChunkSectorsLog2 = -1;
    }

    /** A volume of {@code shards} shards, sectors spread one by one (not by 1 MiB chunk: tiny volumes). */
    private Volume open(int shards, SimulatedPmemDevice pmem, MemBackingDevice backing, Map<String, String> options)
            throws Exception {
        CacheIndex.forcedShards = shards;
        CacheIndex.forcedChunkSectorsLog2 = 0;
        try {
            Volume v = TestVolumes.open(pmem, backing, BS, options);
            assertEquals(shards, ((CacheVolume) v).index.shardCount());
            return v;
        } finally {
            unforce();
        }
    }

    @Test
    void writebackWritesTheOldestCommitFirstAcrossShards() throws Exception {
        MemBackingDevice backing = new MemBackingDevice(lock, 64 * BS);
        Volume v = open(4, new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 64)), backing,
                opts("writeback_jobs", "1", "high_watermark", "100", "low_watermark", "100"));
        int[] order = new int[40];
        for (int i = 0; i < order.length; i++) {
            order[i] = i * 17 % 40;
            v.write((long) order[i] * BS, block(BS, i + 1), true);
        }
        int[] perShard = new int[4];
        for (int b : order) {
            perShard[((CacheVolume) v).index.shardOf((long) b * BS / 512).number]++;
        }
        for (int s = 0; s < 4; s++) {
            assertTrue(perShard[s] > 0, "shard " + s + " caches no block: the test would not merge shards");
        }
        v.message("flush");
        assertEquals(order.length, backing.writeLog.size());
        for (int i = 0; i < order.length; i++) {
            assertEquals((long) order[i] * BS, backing.writeLog.get(i)[0], "backing write " + i);
        }
        v.close();
    }

    @Test
    void aWriteTakesFreeBlocksOfOtherShardsInsteadOfWaiting() throws Exception {
        int cacheBlocks = 32;
        // One block short of full: the 100% high watermark keeps writeback idle, so the counts hold still.
        int writes = cacheBlocks - 1;
        MemBackingDevice backing = new MemBackingDevice(lock, 4096 * BS);
        Volume v = open(4, new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, cacheBlocks)), backing,
                opts("high_watermark", "100", "low_watermark", "100", "autocommit_blocks", "1000",
                        "autocommit_time", "3600000"));
        CacheIndex index = ((CacheVolume) v).index;
        List<Long> blocks = new ArrayList<>();
        for (long b = 0; blocks.size() < writes; b++) {
            if (index.shardOf(b).number == 1) {
                blocks.add(b);
            }
        }
        for (int i = 0; i < writes; i++) {
            if (i % 2 == 0) {
                v.write(blocks.get(i) * BS, block(BS, i + 1), false);
            } else {
                assertTrue(v.tryWrite(blocks.get(i) * BS, block(BS, i + 1), false), "tryWrite of block " + i);
            }
        }
        assertEquals(1, v.status().blocksFree());
        assertEquals(0, v.status().counters().get("full_cache_waits"), "a write waited with free blocks left");
        assertEquals(writes, index.shard(1).usedCount, "shard 1 (8 home entries) holds every block");
        assertEquals(0, v.status().counters().get("writeback_blocks"));
        for (int i = 0; i < writes; i++) {
            assertEquals(i + 1, TestVolumes.readTag(v, blocks.get(i) * BS), "block " + i);
        }
        v.close();
    }

    @Test
    void fourWritersOnFourShardsKeepEveryBlocksLastWrite() throws Exception {
        int threads = 4;
        int blocksPerThread = 64;
        long seed = System.nanoTime();
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, 96));
        MemBackingDevice backing = new MemBackingDevice(new Object(), threads * blocksPerThread * BS);
        Volume v = open(4, pmem, backing, opts("autocommit_blocks", "8", "writeback_jobs", "4",
                "high_watermark", "40", "low_watermark", "20"));
        long[][] last = new long[threads][blocksPerThread];
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            futures.add(pool.submit(() -> {
                Random rnd = new Random(seed + id);
                for (int i = 1; i <= 1500; i++) {
                    int b = rnd.nextInt(blocksPerThread);
                    long offset = (long) (id * blocksPerThread + b) * BS;
                    int op = rnd.nextInt(20);
                    if (op < 5) {
                        assertEquals(last[id][b], TestVolumes.readTag(v, offset),
                                "seed " + seed + ": thread " + id + " reads block " + b + " at step " + i);
                    } else if (op == 5) {
                        v.flush();
                    } else if (op == 6) {
                        v.discard(offset, BS);
                        last[id][b] = 0;
                    } else {
                        long tag = ((long) id << 32) | i;
                        v.write(offset, block(BS, tag), op == 7);
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
        assertFalse(v.readOnly());
        assertTrue(v.status().counters().get("writeback_blocks") > 0, "writeback never ran");
        v.close();
        Volume r = open(4, pmem.crash(new Random(seed)), backing.crash(new Object(), new Random(seed)), opts());
        check(r, last, "after restart, seed " + seed);
        r.message("flush");
        assertEquals(96, r.status().blocksFree());
        r.close();
    }

    private static void check(Volume v, long[][] last, String when) throws Exception {
        for (int t = 0; t < last.length; t++) {
            for (int b = 0; b < last[t].length; b++) {
                assertEquals(last[t][b], TestVolumes.readTag(v, (long) (t * last[t].length + b) * BS),
                        when + ": thread " + t + " block " + b);
            }
        }
    }
}

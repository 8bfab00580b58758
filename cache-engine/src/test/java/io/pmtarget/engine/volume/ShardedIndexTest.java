package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.CacheIndexTest.allocate;
import static io.pmtarget.engine.volume.CacheIndexTest.lookup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sharded index alone: home ranges, stealing across shards, entries going home, per-shard FIFOs. */
class ShardedIndexTest {

    /** Distinct block-aligned sectors that all hash to shard {@code shard}. */
    static List<Long> sectorsOfShard(CacheIndex index, int shard, int count) {
        List<Long> out = new ArrayList<>();
        for (long s = 0; out.size() < count; s += 8) {
            if (index.shardOf(s).number == shard) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void shardCountFollowsCapacity() {
        assertEquals(1, CacheIndex.shardsFor(8));
        assertEquals(1, CacheIndex.shardsFor(511));
        assertEquals(2, CacheIndex.shardsFor(512));
        assertEquals(16, CacheIndex.shardsFor(16_000));
        assertEquals(16, CacheIndex.shardsFor(1 << 24));
    }

    @Test
    void sectorsOfOneChunkShareAShardAndChunksSpreadOverAll() {
        CacheIndex index = new CacheIndex(4096, 16);
        long chunkSectors = 1L << CacheIndex.CHUNK_SECTORS_LOG2;
        int[] chunksPerShard = new int[16];
        for (long chunk = 0; chunk < 1024; chunk++) {
            IndexShard first = index.shardOf(chunk * chunkSectors);
            for (long s = chunk * chunkSectors; s < (chunk + 1) * chunkSectors; s += 8) {
                assertEquals(first, index.shardOf(s), "sector " + s);
            }
            chunksPerShard[first.number]++;
        }
        for (int s = 0; s < 16; s++) {
            assertTrue(chunksPerShard[s] > 32 && chunksPerShard[s] < 96, "shard " + s + ": "
                    + chunksPerShard[s] + " of 1024 chunks");
        }
    }

    @Test
    void freeListsStartOnHomeRanges() {
        CacheIndex index = new CacheIndex(100, 4);
        int[] expectStart = {0, 25, 50, 75};
        for (int s = 0; s < 4; s++) {
            IndexShard sh = index.shard(s);
            assertEquals(25, sh.freeCount, "shard " + s);
            assertEquals(expectStart[s], sh.homeStart);
            for (int e = sh.homeStart; e < sh.homeEnd; e++) {
                assertEquals(sh, index.freeLists.homeShard(e), "entry " + e);
            }
        }
        // Uneven split: every entry has exactly one home and the ranges cover 0..capacity-1.
        CacheIndex odd = new CacheIndex(7, 4);
        int covered = 0;
        for (int s = 0; s < 4; s++) {
            covered += odd.shard(s).homeEnd - odd.shard(s).homeStart;
            assertTrue(odd.shard(s).homeEnd > odd.shard(s).homeStart, "shard " + s + " has no home entry");
        }
        assertEquals(7, covered);
    }

    @Test
    void aShardWithoutFreeEntriesStealsUntilTheWholeCacheIsUsed() {
        CacheIndex index = new CacheIndex(64, 4);
        List<Long> sectors = sectorsOfShard(index, 2, 64);
        List<Integer> entries = new ArrayList<>();
        for (long s : sectors) {
            int e = allocate(index, s, false);
            assertNotEquals(CacheIndex.NONE, e, "sector " + s + " found no entry with " + index.freeCount() + " free");
            entries.add(e);
        }
        assertEquals(0, index.freeCount());
        assertEquals(64, index.shard(2).usedCount, "all 64 entries hold shard 2's sectors");
        assertEquals(CacheIndex.NONE, allocate(index, sectors.get(63) + 8 * 1000, false), "nothing left");
        for (int i = 0; i < 64; i++) {
            assertEquals(entries.get(i), lookup(index, sectors.get(i)));
        }
        // Freed entries go back to their home shards, not to the shard that used them.
        for (int e : entries) {
            index.release(e);
        }
        for (int s = 0; s < 4; s++) {
            assertEquals(16, index.shard(s).freeCount, "shard " + s + " after the release");
            for (int e = index.shard(s).freeHead, n = 0; e != CacheIndex.NONE; e = index.fifoNext(e), n++) {
                assertTrue(n < 16);
                assertEquals(index.shard(s), index.freeLists.homeShard(e));
            }
        }
    }

    @Test
    void eachShardKeepsItsOwnFifoInAllocationOrder() {
        CacheIndex index = new CacheIndex(64, 4);
        List<Long> a = sectorsOfShard(index, 0, 3);
        List<Long> b = sectorsOfShard(index, 3, 3);
        int[] order = new int[6];
        for (int i = 0; i < 3; i++) {
            order[2 * i] = allocate(index, a.get(i), true);
            order[2 * i + 1] = allocate(index, b.get(i), true);
        }
        IndexShard s0 = index.shard(0);
        IndexShard s3 = index.shard(3);
        int e = index.fifoHead(s0);
        for (int i = 0; i < 3; i++, e = index.fifoNext(e)) {
            assertEquals(order[2 * i], e);
        }
        assertEquals(CacheIndex.NONE, e);
        e = index.fifoHead(s3);
        for (int i = 0; i < 3; i++, e = index.fifoNext(e)) {
            assertEquals(order[2 * i + 1], e);
        }
        assertEquals(order[5], index.fifoTail(s3));
        assertEquals(3, s0.usedCount);
        assertEquals(0, index.shard(1).usedCount);
    }

    @Test
    void ramPerBlockStaysWithinBudgetForEveryShardCount() {
        for (int shards = 1; shards <= CacheIndex.SHARDS_MAX; shards *= 2) {
            for (int capacity : new int[] {shards, shards + 1, 1000, 3073, 1 << 20}) {
                CacheIndex index = new CacheIndex(capacity, shards);
                assertTrue(index.ramBytes() <= 32L * capacity + 8, shards + " shards, " + capacity + " blocks: "
                        + (double) index.ramBytes() / capacity + " B per block");
            }
        }
    }
}

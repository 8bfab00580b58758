package io.pmtarget.engine.volume;

import java.util.Arrays;

/**
 * The {@link CacheIndex} operations {@link Recovery} uses at open: single-threaded, before the volume is
 * shared, so no shard lock is taken. Entries go to the shard of their sector (hash, FIFO); the free lists
 * are rebuilt by {@link FreeLists#rebuildFreeList} on the home ranges.
 */
final class IndexRecovery {

    private IndexRecovery() {
    }

    /**
     * Recovery pass 1: records {@code e} for {@code sectorValue} in the hash unless another entry already
     * holds that sector; returns that entry (and leaves {@code e} free), or NONE when {@code e} was
     * added.
     */
    static int insertRecovered(CacheIndex index, int e, long sectorValue) {
        index.sector[e] = sectorValue;
        IndexShard sh = index.shardOf(sectorValue);
        int cur = index.lookup(sh, sectorValue);
        if (cur != CacheIndex.NONE) {
            return cur;
        }
        index.hash.insert(sh, e);
        index.flags[e] = 0;
        index.older[e] = CacheIndex.NONE;
        sh.usedCount++;
        return CacheIndex.NONE;
    }

    /** Recovery pass 1: {@code winner} (same sector, higher seq) takes the place of {@code loser}. */
    static void replaceRecovered(CacheIndex index, int loser, int winner) {
        index.hash.replace(index.shardOf(index.sector[loser]), loser, winner);
        index.flags[winner] = 0;
        index.older[winner] = CacheIndex.NONE;
        index.flags[loser] = CacheIndex.FREE;
    }

    /** Recovery pass 2: appends a recovered entry to its shard's FIFO; call in seq order. */
    static void appendRecovered(CacheIndex index, int e) {
        assert index.flags[e] != CacheIndex.FREE : "appending a free entry " + e;
        index.appendFifo(index.shardOf(index.sector[e]), e);
    }

    /** Recovery starts from an empty index: every entry is marked free but no list exists yet. */
    static void resetForRecovery(CacheIndex index) {
        Arrays.fill(index.flags, CacheIndex.FREE);
        index.hash.clear();
        for (IndexShard sh : index.shards) {
            sh.fifoHead = CacheIndex.NONE;
            sh.fifoTail = CacheIndex.NONE;
            sh.freeHead = CacheIndex.NONE;
            sh.freeCount = 0;
            sh.usedCount = 0;
            sh.resetUncommitted();
        }
        index.freeLists.flushPending.set(0);
    }
}

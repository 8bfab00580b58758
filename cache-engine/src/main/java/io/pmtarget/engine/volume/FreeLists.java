package io.pmtarget.engine.volume;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The free side of a {@link CacheIndex}: one free list per {@link IndexShard shard}, linked through the
 * index's {@code next} array (an entry is on its shard's FIFO while used, on a free list while free, never on
 * both), the home ranges that say which list a freed entry goes back to, and the steals between shards.
 *
 * <p>Entries belong to shards by entry-number range (home range) for the free lists only: a shard allocates
 * from its own free list, and a freed entry goes back to its home shard's list, so two writers touch different
 * lines of the arrays and of the on-media entries. A shard whose free list is empty steals free entries from
 * another shard ({@link #stealFree}). A free list is guarded by its shard's lock.
 *
 * <p>The flush marks live here too: a "flush" message marks the committed entries FLUSH_PENDING
 * ({@link #markFlushPending}) and waits until all of them are back on a free list, which {@link #recycle}
 * counts down.
 *
 * <p>The pop stays in {@link CacheIndex#allocate}, so the write path takes a free entry with no further call.
 * This class holds no per-block state of its own: it works on the index's arrays.
 */
final class FreeLists {

    /** At most this many free entries move per steal (half the victim's free list if that is less). */
    static final int STEAL_BLOCKS_MAX = 64;

    private final int capacity;
    /** The index's arrays: FIFO successor of a used entry, next free entry of a free one. */
    private final int[] next;
    private final int[] prev;
    private final byte[] flags;
    private final IndexShard[] shards;
    /** Entries marked FLUSH_PENDING and not yet recycled; package-private for {@link IndexRecovery}. */
    final AtomicInteger flushPending = new AtomicInteger();

    FreeLists(int capacity, int[] next, int[] prev, byte[] flags, IndexShard[] shards) {
        if (next.length != capacity || prev.length != capacity || flags.length != capacity) {
            throw new IllegalArgumentException("arrays of " + next.length + ", " + prev.length + ", "
                    + flags.length + " entries for a capacity of " + capacity);
        }
        this.capacity = capacity;
        this.next = next;
        this.prev = prev;
        this.flags = flags;
        this.shards = shards;
    }

    /** First entry of shard {@code s}'s home range: ceil(s * capacity / shards). */
    static int homeStart(int s, int shardCount, int capacity) {
        return (int) (((long) s * capacity + shardCount - 1) / shardCount);
    }

    /** The shard whose free list takes {@code e} back: floor(e * shards / capacity). */
    IndexShard homeShard(int e) {
        return shards[(int) ((long) e * shards.length / capacity)];
    }

    /** Puts a detached entry on its home shard's free list; the caller holds that shard's lock. */
    void recycle(int e) {
        assert (flags[e] & ~CacheIndex.FLUSH_PENDING) == CacheIndex.FREE
                : "recycling entry " + e + " that was not detached";
        IndexShard home = homeShard(e);
        assert home.isHeldByCurrentThread() : "recycling entry " + e + " without its home shard's lock";
        if ((flags[e] & CacheIndex.FLUSH_PENDING) != 0) {
            flushPending.decrementAndGet();
            flags[e] = CacheIndex.FREE;
        }
        next[e] = home.freeHead;
        home.freeHead = e;
        home.freeCount++;
    }

    /** {@link #recycle} under the home shard's lock; the caller holds no shard lock. */
    void recycleLocking(int e) {
        IndexShard home = homeShard(e);
        home.lock();
        try {
            recycle(e);
        } finally {
            home.unlock();
        }
    }

    /** Recycles every entry of a chain built by {@link CacheIndex#detachInto}; the caller holds no shard lock. */
    void recycleChain(int chain) {
        for (int e = chain, hops = 0; e != CacheIndex.NONE; hops++) {
            assert hops < capacity : "recycle chain loops at entry " + e;
            int after = next[e];
            recycleLocking(e);
            e = after;
        }
    }

    /**
     * Moves up to {@link #STEAL_BLOCKS_MAX} free entries (at most half of the victim's) from another shard's
     * free list to {@code to}'s; false when every other shard's list is empty. The caller holds no shard lock:
     * the chain taken is owned by this thread alone between the two critical sections.
     */
    boolean stealFree(IndexShard to) {
        for (int i = 1; i < shards.length; i++) {
            IndexShard from = shards[(to.number + i) & (shards.length - 1)];
            if (from.freeCount == 0) {
                continue;
            }
            int first;
            int last;
            int taken;
            from.lock();
            try {
                first = from.freeHead;
                if (first == CacheIndex.NONE) {
                    continue;
                }
                int want = Math.min(STEAL_BLOCKS_MAX, Math.max(1, from.freeCount / 2));
                last = first;
                taken = 1;
                while (taken < want && next[last] != CacheIndex.NONE) {
                    last = next[last];
                    taken++;
                }
                from.freeHead = next[last];
                from.freeCount -= taken;
            } finally {
                from.unlock();
            }
            to.lock();
            try {
                next[last] = to.freeHead;
                to.freeHead = first;
                to.freeCount += taken;
            } finally {
                to.unlock();
            }
            return true;
        }
        return false;
    }

    // ---- flush marks (counted down by recycle)

    /**
     * Marks every committed, not dropped entry FLUSH_PENDING (the set a "flush" message must write back);
     * returns how many are pending now. O(used entries), once per message; locks one shard at a time.
     */
    int markFlushPending() {
        for (IndexShard sh : shards) {
            sh.lock();
            try {
                int marked = 0;
                for (int e = sh.fifoHead; e != CacheIndex.NONE; e = next[e]) {
                    byte f = flags[e];
                    if ((f & (CacheIndex.UNCOMMITTED | CacheIndex.DROPPED | CacheIndex.FLUSH_PENDING)) == 0) {
                        flags[e] = (byte) (f | CacheIndex.FLUSH_PENDING);
                        marked++;
                    }
                }
                flushPending.addAndGet(marked);
            } finally {
                sh.unlock();
            }
        }
        return flushPending.get();
    }

    /** Entries still marked FLUSH_PENDING (they leave the count when recycled: written back or freed). */
    int flushPendingCount() {
        return flushPending.get();
    }

    // ---- open time

    /** Every free entry goes to its home shard's free list, in ascending order. */
    void rebuildFreeList() {
        int used = 0;
        for (IndexShard sh : shards) {
            sh.freeHead = CacheIndex.NONE;
            sh.freeCount = 0;
            used += sh.usedCount;
        }
        int free = 0;
        for (int e = capacity - 1; e >= 0; e--) {
            if (flags[e] == CacheIndex.FREE) {
                IndexShard home = homeShard(e);
                next[e] = home.freeHead;
                prev[e] = CacheIndex.NONE;
                home.freeHead = e;
                home.freeCount++;
                free++;
            }
        }
        assert free + used == capacity : "entry accounting broken";
    }

}

package io.pmtarget.engine.volume;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-RAM index of the cache: primitive arrays only, no object per cached block, split into
 * {@link IndexShard shards} so writers of different sectors share no lock and no written cache line.
 *
 * <p>Per cache block (entry) {@code e}:
 * <pre>
 *   sector[e]    long  8 B  original sector (512-byte units) of the block cached in e
 *   next[e]      int   4 B  FIFO (write/seq order) successor, or the next free entry while e is free
 *   prev[e]      int   4 B  FIFO predecessor
 *   older[e]     int   4 B  the older cached version of the same sector still held (or NONE)
 *   flags[e]     byte  1 B  FREE / UNCOMMITTED / WRITEBACK / DROPPED / ...
 *   hash              <= 10 B  {@link SectorHash}: a chain link per entry, 1.5 bucket heads per entry
 *   total      <= 8 + 4 + 4 + 4 + 4 + 1 + 6 = 31 bytes per cache block (target 32), plus one padded
 *                 {@link IndexShard} of about 200 B per shard (at most {@value #SHARDS_MAX})
 * </pre>
 *
 * <p>Sharding: a sector belongs to shard {@code top bits of hash(sector's 256 KiB chunk)}; that shard's lock guards the
 * sector's hash chain, version chain and the FIFO its entries are on. Entries belong to shards by
 * entry-number range (home range) for the free lists only: a shard allocates from its own free list, and a
 * freed entry goes back to its home shard's list, so two writers touch different lines of these arrays and
 * of the on-media entries. A shard whose free list is empty steals free entries from another shard
 * ({@link #stealFree}). Nobody holds two shard locks except {@link #lockAll} (ascending order).
 *
 * <p>Seq counts are not kept in RAM: an entry is either uncommitted (its seq equals the superblock's) or
 * committed, and each shard's FIFO order is seq order (recovery sorts by seq once). Writeback merges the
 * shard FIFOs by the seq stored in the entries.
 */
final class CacheIndex {

    static final int NONE = -1;
    static final byte FREE = 1;
    static final byte UNCOMMITTED = 2;
    static final byte WRITEBACK = 4;
    /** Removed from the index by a discard, waiting to be freed durably. */
    static final byte DROPPED = 8;
    /** An older version a commit is freeing (outside the commit gate): writeback must not pick it. */
    static final byte SUPERSEDED = 16;
    /**
     * A fresh entry whose data a writer is still copying (set at allocation under the shard lock, cleared by
     * that writer after the copy, see {@link #clearFilling}): readers skip it to the older version or the
     * backing device, since until the copy is done the block still holds a previous owner's data.
     */
    static final byte FILLING = 32;
    /** Was cached (committed) when a "flush" message arrived; the message waits until none is left. */
    static final byte FLUSH_PENDING = 64;
    /**
     * Parity of the seq_count under which an UNCOMMITTED entry was written. A commit point makes a whole
     * generation committed at once, but clears its UNCOMMITTED flags only after the gate reopens (walking
     * the FIFO tails takes microseconds that writers would otherwise wait): until then a flagged entry of
     * the old parity is committed already, and {@link #isOpenUncommitted} keeps writers from rewriting it.
     */
    static final byte GEN_ODD = (byte) 0x80;

    static final int SHARDS_MAX = 16;
    /** Fewer blocks per shard than this and the cache gets fewer shards (small caches: one). */
    static final int BLOCKS_PER_SHARD_MIN = 256;
    /** At most this many free entries move per steal (half the victim's free list if that is less). */
    static final int STEAL_BLOCKS_MAX = 64;
    /** Tests only: forces the shard count of indexes built after it is set (0 = by capacity). */
    static volatile int forcedShards;
    /**
     * Sectors map to shards by 256 KiB chunk (2^9 sectors): a sequential run stays in one shard for a chunk,
     * so a sequential writer keeps that shard's lock, lists and entry lines in its own cache, and two
     * sequential writers in different regions rarely meet; random I/O spreads over the shards all the same.
     */
    static final int CHUNK_SECTORS_LOG2 = 9;
    /** Tests only: forces the chunk size (log2 of sectors, 0 = by sector) of indexes built after it is set. */
    static volatile int forcedChunkSectorsLog2 = -1;

    private static final java.lang.invoke.VarHandle FLAGS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(byte[].class);

    private final int capacity;
    // Package-private for IndexRecovery (open time, single-threaded); everything else uses the methods.
    final long[] sector;
    private final int[] next;
    private final int[] prev;
    final int[] older;
    final byte[] flags;
    final SectorHash hash;
    final IndexShard[] shards;
    private final int shardBits;
    private final int chunkSectorsLog2;
    final AtomicInteger flushPending = new AtomicInteger();

    CacheIndex(int capacity) {
        this(capacity, shardsFor(capacity));
    }

    CacheIndex(int capacity, int shardCount) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (Integer.bitCount(shardCount) != 1 || shardCount > SHARDS_MAX || shardCount > capacity) {
            throw new IllegalArgumentException("shards must be a power of two <= min(" + SHARDS_MAX + ", "
                    + capacity + "): " + shardCount);
        }
        this.capacity = capacity;
        sector = new long[capacity];
        next = new int[capacity];
        prev = new int[capacity];
        older = new int[capacity];
        flags = new byte[capacity];
        hash = new SectorHash(sector, shardCount);
        int bucketsPerShard = hash.bucketsPerShard();
        Arrays.fill(older, NONE);
        Arrays.fill(prev, NONE);
        Arrays.fill(flags, FREE);
        shardBits = Integer.numberOfTrailingZeros(shardCount);
        int forcedChunk = forcedChunkSectorsLog2;
        chunkSectorsLog2 = forcedChunk >= 0 ? forcedChunk : CHUNK_SECTORS_LOG2;
        shards = new IndexShard[shardCount];
        for (int s = 0; s < shardCount; s++) {
            shards[s] = new IndexShard(s, s * bucketsPerShard, bucketsPerShard, homeStart(s), homeStart(s + 1));
        }
        rebuildFreeList();
    }

    /** Shards for a cache of {@code capacity} blocks: a power of two, at most 16, >= 256 blocks each. */
    static int shardsFor(int capacity) {
        int forced = forcedShards;
        if (forced > 0) {
            return Math.min(Integer.highestOneBit(forced), Integer.highestOneBit(capacity));
        }
        return Integer.highestOneBit(Math.max(1, Math.min(SHARDS_MAX, capacity / BLOCKS_PER_SHARD_MIN)));
    }

    /** Bytes of RAM the index arrays take, for the status and the RAM-per-block benchmark. */
    long ramBytes() {
        return capacity * (8L + 4 + 4 + 4 + 1) + hash.ramBytes();
    }

    int capacity() {
        return capacity;
    }

    int shardCount() {
        return shards.length;
    }

    IndexShard shard(int number) {
        return shards[number];
    }

    // ---- shards and hashing

    /** The shard whose lock guards {@code s}'s hash chain, versions and FIFO: by hash of s's chunk. */
    IndexShard shardOf(long s) {
        return shards[shardBits == 0 ? 0 : (int) (SectorHash.mix(s >>> chunkSectorsLog2) >>> (64 - shardBits))];
    }

    /** First entry of shard {@code s}'s home range: ceil(s * capacity / shards). */
    private int homeStart(int s) {
        return (int) (((long) s * capacity + shards.length - 1) / shards.length);
    }

    /** The shard whose free list takes {@code e} back: floor(e * shards / capacity). */
    IndexShard homeShard(int e) {
        return shards[(int) ((long) e * shards.length / capacity)];
    }

    /** Locks every shard in ascending order (the only way to hold more than one). */
    void lockAll() {
        for (IndexShard sh : shards) {
            sh.lock();
        }
    }

    void unlockAll() {
        for (int s = shards.length - 1; s >= 0; s--) {
            shards[s].unlock();
        }
    }

    // ---- totals (racy sums of volatile per-shard counts: exact only while nothing changes)

    int freeCount() {
        int sum = 0;
        for (IndexShard sh : shards) {
            sum += sh.freeCount;
        }
        return sum;
    }

    int usedCount() {
        int sum = 0;
        for (IndexShard sh : shards) {
            sum += sh.usedCount;
        }
        return sum;
    }

    int uncommittedCount() {
        int sum = 0;
        for (IndexShard sh : shards) {
            sum += sh.uncommitted;
        }
        return sum;
    }

    // ---- per entry (the caller holds the lock of the shard owning e, unless said otherwise)

    long sector(int e) {
        return sector[e];
    }

    byte flags(int e) {
        return flags[e];
    }

    /** The generation bit for entries written while the volume's seq_count is {@code seqCount}. */
    static byte generationBit(long seqCount) {
        return (seqCount & 1) != 0 ? GEN_ODD : 0;
    }

    /**
     * True when e is uncommitted and of the generation in progress ({@code seqCount}, read inside the commit
     * gate): only then may a writer rewrite it in place. Under e's shard lock.
     */
    boolean isOpenUncommitted(int e, long seqCount) {
        byte f = flags[e];
        return (f & UNCOMMITTED) != 0 && (f & GEN_ODD) == generationBit(seqCount);
    }

    boolean has(int e, byte flag) {
        return (flags[e] & flag) != 0;
    }

    void set(int e, byte flag) {
        flags[e] |= flag;
    }

    void clear(int e, byte flag) {
        flags[e] &= (byte) ~flag;
    }

    /**
     * Clears FILLING without the shard lock, by the writer that allocated {@code e}, still inside the commit
     * gate. Safe because nobody else writes flags[e] meanwhile: commit points and discards need the gate
     * exclusively, a commit's walk touches only entries older than e (its generation and their versions), and
     * every other flag writer (writeback pick and completion, flush mark, superseded/dropped freeing) only
     * touches committed entries, while e is UNCOMMITTED. Byte array elements never tear (JLS 17.6); the release
     * store publishes the data copy before the flag, and a reader that still sees FILLING reads the older data,
     * which is correct for a read racing this write.
     */
    void clearFilling(int e) {
        assert (flags[e] & (FILLING | UNCOMMITTED)) == (FILLING | UNCOMMITTED) : "entry " + e + " not filling";
        FLAGS.setRelease(flags, e, (byte) (flags[e] & ~FILLING));
    }

    int older(int e) {
        return older[e];
    }

    int fifoNext(int e) {
        return next[e];
    }

    int fifoPrev(int e) {
        return prev[e];
    }

    // ---- lookups and updates (the caller holds sh's lock; sh = shardOf(sector))

    /** Newest entry caching {@code s}, or NONE. */
    int lookup(IndexShard sh, long s) {
        assert sh == shardOf(s) : "sector " + s + " looked up in shard " + sh.number;
        return hash.lookup(sh, s);
    }

    /** Newest entry caching {@code s} whose data is complete (skips a FILLING one), or NONE. */
    int lookupReadable(IndexShard sh, long s) {
        int e = lookup(sh, s);
        while (e != NONE && (flags[e] & FILLING) != 0) {
            e = older[e];
        }
        return e;
    }

    /** Takes a free entry of sh and appends it to sh's FIFO for {@code sectorValue}; NONE when none is free. */
    int allocate(IndexShard sh, long sectorValue, boolean uncommitted) {
        int e = sh.freeHead;
        if (e == NONE) {
            return NONE;
        }
        assert flags[e] == FREE : "free list holds a used entry " + e;
        sh.freeHead = next[e];
        sh.freeCount--;
        sh.usedCount++;
        sector[e] = sectorValue;
        flags[e] = uncommitted ? UNCOMMITTED : 0;
        older[e] = NONE;
        appendFifo(sh, e);
        return e;
    }

    /** Makes {@code e} the newest version of its sector; the previous newest becomes its older version. */
    void linkNewest(IndexShard sh, int e) {
        int current = lookup(sh, sector[e]);
        if (current == NONE) {
            hash.insert(sh, e);
        } else {
            hash.replace(sh, current, e);
        }
        older[e] = current;
    }

    /** Removes {@code e} from its sector's version chain (and the hash if it was the newest). */
    void unlinkVersion(IndexShard sh, int e) {
        long s = sector[e];
        int head = lookup(sh, s);
        if (head == e) {
            hash.replace(sh, e, older[e]);
        } else {
            for (int v = head; v != NONE; v = older[v]) {
                if (older[v] == e) {
                    older[v] = older[e];
                    break;
                }
            }
        }
        older[e] = NONE;
    }

    /**
     * Unlinks a used entry of {@code sh} from FIFO, hash and version chain; it is then on no list (flags FREE,
     * plus FLUSH_PENDING if set) until {@link #recycle}. Between the two, the caller waits for a read grace
     * period ({@link ReadEpochs}).
     */
    void detach(IndexShard sh, int e) {
        assert (flags[e] & FREE) == 0 : "double free of entry " + e;
        unlinkVersion(sh, e);
        removeFifo(sh, e);
        // FLUSH_PENDING stays until recycle: a flush message returns only once its blocks are free again.
        flags[e] = (byte) (FREE | (flags[e] & FLUSH_PENDING));
        prev[e] = NONE;
        next[e] = NONE;
        sh.usedCount--;
    }

    /** Puts a detached entry on its home shard's free list; the caller holds that shard's lock. */
    void recycle(int e) {
        assert (flags[e] & ~FLUSH_PENDING) == FREE : "recycling entry " + e + " that was not detached";
        IndexShard home = homeShard(e);
        assert home.isHeldByCurrentThread() : "recycling entry " + e + " without its home shard's lock";
        if ((flags[e] & FLUSH_PENDING) != 0) {
            flushPending.decrementAndGet();
            flags[e] = FREE;
        }
        next[e] = home.freeHead;
        home.freeHead = e;
        home.freeCount++;
    }

    /** {@link #detach} under the lock of e's shard; the caller holds no shard lock and owns e (a flag). */
    void detachLocking(int e) {
        IndexShard sh = shardOf(sector[e]);
        sh.lock();
        try {
            detach(sh, e);
        } finally {
            sh.unlock();
        }
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

    /**
     * {@link #detach}es {@code e} (caller holds sh's lock) and links it in front of {@code chain} through its
     * free-list link; returns the new chain head, for {@link #recycleChain} once the shard lock is released.
     */
    int detachInto(IndexShard sh, int e, int chain) {
        detach(sh, e);
        next[e] = chain;
        return e;
    }

    /** Recycles every entry of a chain built by {@link #detachInto}; the caller holds no shard lock. */
    void recycleChain(int chain) {
        for (int e = chain, hops = 0; e != NONE; hops++) {
            assert hops < capacity : "recycle chain loops at entry " + e;
            int after = next[e];
            recycleLocking(e);
            e = after;
        }
    }

    /**
     * {@link #release}s {@code n} entries with one lock per run of entries of the same shard: detached in
     * the given order (a commit collects them shard by shard), then sorted by entry number, which groups
     * them by home shard, and recycled. Reorders {@code es}.
     */
    void releaseAll(int[] es, int n) {
        for (int i = 0; i < n; ) {
            IndexShard sh = shardOf(sector[es[i]]);
            sh.lock();
            try {
                for (; i < n && shardOf(sector[es[i]]) == sh; i++) {
                    detach(sh, es[i]);
                }
            } finally {
                sh.unlock();
            }
        }
        Arrays.sort(es, 0, n);
        for (int i = 0; i < n; ) {
            IndexShard home = homeShard(es[i]);
            home.lock();
            try {
                for (; i < n && homeShard(es[i]) == home; i++) {
                    recycle(es[i]);
                }
            } finally {
                home.unlock();
            }
        }
    }

    /** Detach then recycle at once (no reader can hold e: the caller waited for a grace period or has none). */
    void release(int e) {
        detachLocking(e);
        recycleLocking(e);
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
                if (first == NONE) {
                    continue;
                }
                int want = Math.min(STEAL_BLOCKS_MAX, Math.max(1, from.freeCount / 2));
                last = first;
                taken = 1;
                while (taken < want && next[last] != NONE) {
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

    // ---- FIFO (per shard, seq order)

    int fifoHead(IndexShard sh) {
        return sh.fifoHead;
    }

    int fifoTail(IndexShard sh) {
        return sh.fifoTail;
    }

    void appendFifo(IndexShard sh, int e) {
        prev[e] = sh.fifoTail;
        next[e] = NONE;
        if (sh.fifoTail == NONE) {
            sh.fifoHead = e;
        } else {
            next[sh.fifoTail] = e;
        }
        sh.fifoTail = e;
    }

    private void removeFifo(IndexShard sh, int e) {
        int p = prev[e];
        int n = next[e];
        if (p == NONE) {
            assert sh.fifoHead == e : "entry " + e + " is not on shard " + sh.number + "'s FIFO";
            sh.fifoHead = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            sh.fifoTail = p;
        } else {
            prev[n] = p;
        }
    }

    /**
     * Marks every committed, not dropped entry FLUSH_PENDING (the set a "flush" message must write back);
     * returns how many are pending now. O(used entries), once per message; locks one shard at a time.
     */
    int markFlushPending() {
        for (IndexShard sh : shards) {
            sh.lock();
            try {
                int marked = 0;
                for (int e = sh.fifoHead; e != NONE; e = next[e]) {
                    byte f = flags[e];
                    if ((f & (UNCOMMITTED | DROPPED | FLUSH_PENDING)) == 0) {
                        flags[e] = (byte) (f | FLUSH_PENDING);
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

    /** Every free entry goes to its home shard's free list, in ascending order. */
    void rebuildFreeList() {
        for (IndexShard sh : shards) {
            sh.freeHead = NONE;
            sh.freeCount = 0;
        }
        int free = 0;
        for (int e = capacity - 1; e >= 0; e--) {
            if (flags[e] == FREE) {
                IndexShard home = homeShard(e);
                next[e] = home.freeHead;
                prev[e] = NONE;
                home.freeHead = e;
                home.freeCount++;
                free++;
            }
        }
        assert free + usedCount() == capacity : "entry accounting broken";
    }

}

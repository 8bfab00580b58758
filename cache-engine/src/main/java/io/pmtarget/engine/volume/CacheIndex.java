package io.pmtarget.engine.volume;

import java.util.Arrays;

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
 * <p>Sharding: a sector belongs to shard {@code top bits of hash(sector's 1 MiB chunk)}; that shard's lock guards the
 * sector's hash chain, version chain and the FIFO its entries are on. Entries belong to shards by
 * entry-number range (home range) for the free lists only: see {@link FreeLists}, which keeps the free lists
 * (recycle, steals between shards, rebuild) and the flush marks on these same arrays. Nobody holds two shard
 * locks except {@link #lockAll} (ascending order).
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
     * Parity of the generation (seq) under which an UNCOMMITTED entry was written. A commit point makes a
     * whole generation committed at once, but writers of the next generation run on meanwhile, and the
     * UNCOMMITTED flags are cleared by a walk after the point: until then a flagged entry of the other
     * parity belongs to the committed (or committing) generation, and {@link #isOpenUncommitted} keeps writers
     * from rewriting it.
     */
    static final byte GEN_ODD = (byte) 0x80;

    static final int SHARDS_MAX = 16;
    /** Fewer blocks per shard than this and the cache gets fewer shards (small caches: one). */
    static final int BLOCKS_PER_SHARD_MIN = 256;
    /** Tests only: forces the shard count of indexes built after it is set (0 = by capacity). */
    static volatile int forcedShards;
    /**
     * Sectors map to shards by 1 MiB chunk (2^11 sectors): a sequential run stays in one shard for a chunk,
     * so a sequential writer keeps that shard's lock, lists and entry lines in its own cache, and two
     * sequential writers in different regions rarely meet; random I/O spreads over the shards all the same.
     * Each move to another chunk pulls that shard's lines from whichever core used it last: with two
     * sequential writers, 1 MiB chunks gave 664-688 ns per write against 722-766 for 256 KiB (JMH, 3 rounds).
     */
    static final int CHUNK_SECTORS_LOG2 = 11;
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
    /** The free side of this index: recycle, steal, rebuild, flush marks (the pop is {@link #allocate}'s). */
    final FreeLists freeLists;

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
            shards[s] = new IndexShard(s, s * bucketsPerShard, bucketsPerShard,
                    FreeLists.homeStart(s, shardCount, capacity), FreeLists.homeStart(s + 1, shardCount, capacity));
        }
        freeLists = new FreeLists(capacity, next, prev, flags, shards);
        freeLists.rebuildFreeList();
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
            sum += sh.uncommitted();
        }
        return sum;
    }

    /** Fresh entries of generation {@code gen} not committed yet (racy, like the sums above). */
    int uncommittedCount(long gen) {
        int sum = 0;
        for (IndexShard sh : shards) {
            sum += sh.uncommitted(gen);
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
     * True when e is uncommitted and of the writer's generation ({@code seqCount}, the one it entered the gate
     * with, still current): only then may a writer rewrite it in place. Under e's shard lock.
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
     * gate. Safe because nobody else writes flags[e] meanwhile: discards need the gate exclusively, a
     * commit's walk starts only once e's generation has left the gate (or touches older generations), and
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
     * plus FLUSH_PENDING if set) until {@link FreeLists#recycle}. Between the two, the caller waits for a read grace
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

    /**
     * {@link #detach}es {@code e} (caller holds sh's lock) and links it in front of {@code chain} through its
     * free-list link; returns the new chain head, for {@link FreeLists#recycleChain} once the shard lock is released.
     */
    int detachInto(IndexShard sh, int e, int chain) {
        detach(sh, e);
        next[e] = chain;
        return e;
    }

    /** {@link #detach}es {@code n} entries, one lock per run of consecutive entries of the same shard. */
    void detachAll(int[] es, int n) {
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
    }

    /**
     * {@link FreeLists#recycle}s {@code n} detached entries: sorted by entry number, which groups them by
     * home shard, then one lock per home shard. Reorders {@code es}.
     */
    void recycleAll(int[] es, int n) {
        Arrays.sort(es, 0, n);
        for (int i = 0; i < n; ) {
            IndexShard home = freeLists.homeShard(es[i]);
            home.lock();
            try {
                for (; i < n && freeLists.homeShard(es[i]) == home; i++) {
                    freeLists.recycle(es[i]);
                }
            } finally {
                home.unlock();
            }
        }
    }

    /**
     * Detach then recycle at once (no reader can hold e: the caller waited for a grace period or has none);
     * the caller holds no shard lock and owns e (a flag).
     */
    void release(int e) {
        IndexShard sh = shardOf(sector[e]);
        sh.lock();
        try {
            detach(sh, e);
        } finally {
            sh.unlock();
        }
        freeLists.recycleLocking(e);
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

}

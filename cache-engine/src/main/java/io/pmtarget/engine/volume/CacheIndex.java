package io.pmtarget.engine.volume;

import java.util.Arrays;

/**
 * The in-RAM index of the cache: primitive arrays only, no object per cached block. Not thread-safe; the
 * volume guards it with its metadata lock (held only for index updates, never across data copies).
 *
 * <p>Per cache block (entry) {@code e}:
 * <pre>
 *   sector[e]    long  8 B  original sector (512-byte units) of the block cached in e
 *   next[e]      int   4 B  FIFO (write/seq order) successor, or the next free entry while e is free
 *   prev[e]      int   4 B  FIFO predecessor
 *   older[e]     int   4 B  the older cached version of the same sector still held (or NONE)
 *   flags[e]     byte  1 B  FREE / UNCOMMITTED / WRITEBACK / DROPPED
 *   hash table   int        open addressing sector -> newest entry, capacity = next power of two of
 *                           4/3 * n_blocks, so between 1.33 and 2.67 slots of 4 B: at most 10.67 B
 *   total      <= 8 + 4 + 4 + 4 + 1 + 10.67 = 31.67 bytes per cache block (target 32)
 * </pre>
 * Seq counts are not kept in RAM: an entry is either uncommitted (its seq equals the superblock's) or
 * committed, and FIFO order is the seq order (recovery sorts by seq once, keeping order across restarts).
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
     * A fresh entry whose data a writer is still copying (set at allocation under the index lock, cleared by
     * that writer after the copy, see {@link #clearFilling}): readers skip it to the older version or the
     * backing device, since until the copy is done the block still holds a previous owner's data.
     */
    static final byte FILLING = 32;
    /** Was cached (committed) when a "flush" message arrived; the message waits until none is left. */
    static final byte FLUSH_PENDING = 64;

    private static final java.lang.invoke.VarHandle FLAGS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(byte[].class);

    private final int capacity;
    private final long[] sector;
    private final int[] next;
    private final int[] prev;
    private final int[] older;
    private final byte[] flags;
    private final int[] table;
    private final int tableMask;
    private int fifoHead = NONE;
    private int fifoTail = NONE;
    private int freeHead = NONE;
    private int freeCount;
    private int usedCount;
    private int flushPendingCount;

    CacheIndex(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        sector = new long[capacity];
        next = new int[capacity];
        prev = new int[capacity];
        older = new int[capacity];
        flags = new byte[capacity];
        int tableSize = Integer.highestOneBit((int) Math.min(1 << 30, (long) capacity * 4 / 3 + 1)) * 2;
        table = new int[tableSize];
        tableMask = tableSize - 1;
        Arrays.fill(table, NONE);
        Arrays.fill(older, NONE);
        for (int e = capacity - 1; e >= 0; e--) {
            flags[e] = FREE;
            next[e] = freeHead;
            prev[e] = NONE;
            freeHead = e;
        }
        freeCount = capacity;
    }

    /** Bytes of RAM the index arrays take, for the status and the RAM-per-block benchmark. */
    long ramBytes() {
        return capacity * (8L + 4 + 4 + 4 + 1) + table.length * 4L;
    }

    int capacity() {
        return capacity;
    }

    int freeCount() {
        return freeCount;
    }

    int usedCount() {
        return usedCount;
    }

    long sector(int e) {
        return sector[e];
    }

    byte flags(int e) {
        return flags[e];
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
     * Clears FILLING without the index lock, by the writer that allocated {@code e}, still inside the commit
     * gate. Safe because nobody else writes flags[e] meanwhile: commits and discards need the gate exclusively,
     * and every other flag writer (writeback pick and completion, flush mark, superseded/dropped freeing) only
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

    int fifoHead() {
        return fifoHead;
    }

    int fifoTail() {
        return fifoTail;
    }

    int fifoNext(int e) {
        return next[e];
    }

    int fifoPrev(int e) {
        return prev[e];
    }

    /** Takes a free entry and appends it to the FIFO for {@code sectorValue}, or NONE when none is free. */
    int allocate(long sectorValue, boolean uncommitted) {
        int e = freeHead;
        if (e == NONE) {
            return NONE;
        }
        assert flags[e] == FREE : "free list holds a used entry " + e;
        freeHead = next[e];
        freeCount--;
        usedCount++;
        sector[e] = sectorValue;
        flags[e] = uncommitted ? UNCOMMITTED : 0;
        older[e] = NONE;
        appendFifo(e);
        return e;
    }

    /** Makes {@code e} the newest version of its sector; the previous newest becomes its older version. */
    void linkNewest(int e) {
        int current = lookup(sector[e]);
        older[e] = current;
        put(sector[e], e);
    }

    /** Returns a used entry to the free list at once: {@link #detach} then {@link #recycle}. */
    void release(int e) {
        detach(e);
        recycle(e);
    }

    /**
     * Unlinks a used entry from FIFO, hash and version chain; it is then on no list (flags FREE, plus
     * FLUSH_PENDING if set) until
     * {@link #recycle}. Between the two, the caller waits for a read grace period ({@link ReadEpochs}).
     */
    void detach(int e) {
        assert (flags[e] & FREE) == 0 : "double free of entry " + e;
        unlinkVersion(e);
        removeFifo(e);
        // FLUSH_PENDING stays until recycle: a flush message returns only once its blocks are free again.
        flags[e] = (byte) (FREE | (flags[e] & FLUSH_PENDING));
        older[e] = NONE;
        prev[e] = NONE;
        next[e] = NONE;
        usedCount--;
    }

    /** Puts a detached entry on the free list. */
    void recycle(int e) {
        assert (flags[e] & ~FLUSH_PENDING) == FREE : "recycling entry " + e + " that was not detached";
        if ((flags[e] & FLUSH_PENDING) != 0) {
            flushPendingCount--;
            flags[e] = FREE;
        }
        next[e] = freeHead;
        freeHead = e;
        freeCount++;
    }

    /** Removes {@code e} from its sector's version chain (and the hash if it was the newest). */
    void unlinkVersion(int e) {
        long s = sector[e];
        int head = lookup(s);
        if (head == e) {
            if (older[e] == NONE) {
                remove(s);
            } else {
                put(s, older[e]);
            }
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

    private void appendFifo(int e) {
        prev[e] = fifoTail;
        next[e] = NONE;
        if (fifoTail == NONE) {
            fifoHead = e;
        } else {
            next[fifoTail] = e;
        }
        fifoTail = e;
    }

    private void removeFifo(int e) {
        int p = prev[e];
        int n = next[e];
        if (p == NONE) {
            fifoHead = n;
        } else {
            next[p] = n;
        }
        if (n == NONE) {
            fifoTail = p;
        } else {
            prev[n] = p;
        }
    }

    /**
     * Marks every committed, not dropped entry FLUSH_PENDING (the set a "flush" message must write back);
     * returns how many are pending now. O(used entries), once per message.
     */
    int markFlushPending() {
        for (int e = fifoHead; e != NONE; e = next[e]) {
            byte f = flags[e];
            if ((f & (UNCOMMITTED | DROPPED | FLUSH_PENDING)) == 0) {
                flags[e] = (byte) (f | FLUSH_PENDING);
                flushPendingCount++;
            }
        }
        return flushPendingCount;
    }

    /** Entries still marked FLUSH_PENDING (they leave the count when recycled: written back or freed). */
    int flushPendingCount() {
        return flushPendingCount;
    }

    /** Newest entry caching {@code s} whose data is complete (skips a FILLING one), or NONE. */
    int lookupReadable(long s) {
        int e = lookup(s);
        while (e != NONE && (flags[e] & FILLING) != 0) {
            e = older[e];
        }
        return e;
    }

    /** Newest entry caching {@code s}, or NONE. */
    int lookup(long s) {
        int slot = slot(s);
        for (int probes = 0; probes <= tableMask; probes++) {
            int e = table[slot];
            if (e == NONE) {
                return NONE;
            }
            if (sector[e] == s) {
                return e;
            }
            slot = (slot + 1) & tableMask;
        }
        return NONE;
    }

    private void put(long s, int e) {
        int slot = slot(s);
        for (int probes = 0; probes <= tableMask; probes++) {
            int cur = table[slot];
            if (cur == NONE || sector[cur] == s) {
                table[slot] = e;
                return;
            }
            slot = (slot + 1) & tableMask;
        }
        throw new IllegalStateException("cache index hash table full");
    }

    /** Deletes {@code s} with backward-shift compaction of the probe chain (no tombstones). */
    private void remove(long s) {
        int slot = slot(s);
        while (table[slot] != NONE && sector[table[slot]] != s) {
            slot = (slot + 1) & tableMask;
        }
        if (table[slot] == NONE) {
            return;
        }
        int hole = slot;
        int i = (hole + 1) & tableMask;
        while (table[i] != NONE) {
            int home = slot(sector[table[i]]);
            boolean movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
            if (movable) {
                table[hole] = table[i];
                hole = i;
            }
            i = (i + 1) & tableMask;
        }
        table[hole] = NONE;
    }

    private int slot(long s) {
        long h = s * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & tableMask;
    }

    /**
     * Recovery pass 1: records {@code e} for {@code sectorValue} in the hash unless another entry already
     * holds that sector; returns that entry (and leaves {@code e} free), or NONE when {@code e} was added.
     */
    int insertRecovered(int e, long sectorValue) {
        sector[e] = sectorValue;
        int slot = slot(sectorValue);
        for (int probes = 0; probes <= tableMask; probes++) {
            int cur = table[slot];
            if (cur == NONE) {
                table[slot] = e;
                flags[e] = 0;
                older[e] = NONE;
                usedCount++;
                return NONE;
            }
            if (sector[cur] == sectorValue) {
                return cur;
            }
            slot = (slot + 1) & tableMask;
        }
        throw new IllegalStateException("cache index hash table full");
    }

    /** Recovery pass 1: {@code winner} (same sector, higher seq) takes the place of {@code loser}. */
    void replaceRecovered(int loser, int winner) {
        put(sector[loser], winner);
        flags[winner] = 0;
        older[winner] = NONE;
        flags[loser] = FREE;
    }

    /** Recovery pass 2: appends a recovered entry to the FIFO; call in seq order. */
    void appendRecovered(int e) {
        assert flags[e] != FREE : "appending a free entry " + e;
        appendFifo(e);
    }

    /** Recovery: every entry not recovered goes to the free list (ascending order). */
    void rebuildFreeList() {
        freeHead = NONE;
        freeCount = 0;
        for (int e = capacity - 1; e >= 0; e--) {
            if (flags[e] == FREE) {
                next[e] = freeHead;
                prev[e] = NONE;
                freeHead = e;
                freeCount++;
            }
        }
        assert freeCount + usedCount == capacity : "entry accounting broken";
    }

    /** Recovery starts from an empty index: every entry is marked free but no list exists yet. */
    void resetForRecovery() {
        Arrays.fill(flags, FREE);
        Arrays.fill(table, NONE);
        fifoHead = NONE;
        fifoTail = NONE;
        freeHead = NONE;
        freeCount = 0;
        usedCount = 0;
        flushPendingCount = 0;
    }
}

package io.pmtarget.engine.volume;

import java.util.Arrays;

/**
 * The sector -> newest entry map of a {@link CacheIndex}: chained hashing in two primitive arrays, one
 * region of buckets per {@link IndexShard}. Chaining (not open addressing) because a shard may hold far more
 * than its share of the entries (it steals free ones), and a chain only grows longer where a full probe
 * table would fail. The caller holds the shard's lock; the hash reads the entries' sectors from the index.
 *
 * <pre>
 *   hashNext[e]  int  4 B per entry: the next entry in e's bucket, or NONE
 *   buckets      int  floor(1.5 * entries / shards) per shard: at most 6 B per entry
 * </pre>
 */
final class SectorHash {

    private final long[] sector;
    private final int[] hashNext;
    private final int[] buckets;
    private final int bucketsPerShard;

    SectorHash(long[] sector, int shardCount) {
        this.sector = sector;
        int capacity = sector.length;
        this.bucketsPerShard = Math.max(1, (capacity + capacity / 2) / shardCount);
        this.hashNext = new int[capacity];
        this.buckets = new int[bucketsPerShard * shardCount];
        clear();
    }

    int bucketsPerShard() {
        return bucketsPerShard;
    }

    long ramBytes() {
        return hashNext.length * 4L + buckets.length * 4L;
    }

    void clear() {
        Arrays.fill(buckets, CacheIndex.NONE);
        Arrays.fill(hashNext, CacheIndex.NONE);
    }

    /** A 64-bit mix: of the sector's chunk, top bits pick the shard; of the sector, low 32 bits the bucket. */
    static long mix(long s) {
        long h = s * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    private int bucket(IndexShard sh, long s) {
        return sh.bucketBase + (int) (((mix(s) & 0xFFFF_FFFFL) * sh.bucketCount) >>> 32);
    }

    /** The entry caching {@code s} that is in the hash (its newest version), or NONE. */
    int lookup(IndexShard sh, long s) {
        int e = buckets[bucket(sh, s)];
        for (int hops = 0; e != CacheIndex.NONE && sector[e] != s; hops++) {
            assert hops < sector.length : "hash chain loop at entry " + e;
            e = hashNext[e];
        }
        return e;
    }

    /** Adds {@code e} (its sector not in the hash yet) at the head of its bucket. */
    void insert(IndexShard sh, int e) {
        int b = bucket(sh, sector[e]);
        hashNext[e] = buckets[b];
        buckets[b] = e;
    }

    /** Puts {@code repl} (same sector, or NONE to remove) in {@code cur}'s place in its chain. */
    void replace(IndexShard sh, int cur, int repl) {
        assert repl == CacheIndex.NONE || sector[repl] == sector[cur] : "replacing across sectors";
        int b = bucket(sh, sector[cur]);
        int after = hashNext[cur];
        int link = after;
        if (repl != CacheIndex.NONE) {
            hashNext[repl] = after;
            link = repl;
        }
        if (buckets[b] == cur) {
            buckets[b] = link;
        } else {
            int p = buckets[b];
            for (int hops = 0; hashNext[p] != cur; hops++) {
                assert hops < sector.length && hashNext[p] != CacheIndex.NONE : "entry " + cur + " not in its chain";
                p = hashNext[p];
            }
            hashNext[p] = link;
        }
        hashNext[cur] = CacheIndex.NONE;
    }
}

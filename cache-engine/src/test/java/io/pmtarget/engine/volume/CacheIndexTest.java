package io.pmtarget.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CacheIndexTest {

    @Test
    void ramPerBlockStaysAtOrBelow32BytesForEveryCapacity() {
        for (int capacity : new int[] {1, 2, 3, 7, 96, 97, 767, 768, 769, 1000, 3072, 3073, 12_289, 1 << 20,
                (1 << 20) + 1, 786_433}) {
            CacheIndex index = new CacheIndex(capacity);
            assertTrue(index.ramBytes() <= 32L * capacity + 8,
                    capacity + " blocks: " + index.ramBytes() + " bytes = "
                            + (double) index.ramBytes() / capacity + " per block");
        }
    }

    /** Allocates and links a newest version of {@code sector} the way a writer does (stealing if needed). */
    static int allocate(CacheIndex index, long sector, boolean uncommitted) {
        IndexShard sh = index.shardOf(sector);
        while (true) {
            sh.lock();
            try {
                int e = index.allocate(sh, sector, uncommitted);
                if (e != CacheIndex.NONE) {
                    index.linkNewest(sh, e);
                    return e;
                }
            } finally {
                sh.unlock();
            }
            if (!index.freeLists.stealFree(sh)) {
                return CacheIndex.NONE;
            }
        }
    }

    static int lookup(CacheIndex index, long sector) {
        IndexShard sh = index.shardOf(sector);
        sh.lock();
        try {
            return index.lookup(sh, sector);
        } finally {
            sh.unlock();
        }
    }

    @Test
    void hashMatchesAReferenceMapUnderRandomInsertsAndRemovals() {
        for (int shards : new int[] {1, 4, 16}) {
            int capacity = 512;
            CacheIndex index = new CacheIndex(capacity, shards);
            Map<Long, Integer> reference = new HashMap<>();
            Random rnd = new Random(5);
            for (int step = 0; step < 200_000; step++) {
                long sector = rnd.nextInt(2048) * 8L;
                Integer e = reference.get(sector);
                if (e != null && rnd.nextBoolean()) {
                    index.release(e);
                    reference.remove(sector);
                } else if (e == null && index.freeCount() > 0) {
                    int n = allocate(index, sector, false);
                    assertTrue(n != CacheIndex.NONE, shards + " shards: no entry with " + index.freeCount() + " free");
                    reference.put(sector, n);
                }
                if (step % 1000 == 0) {
                    for (long s = 0; s < 2048 * 8L; s += 8) {
                        Integer want = reference.get(s);
                        assertEquals(want == null ? CacheIndex.NONE : want, lookup(index, s),
                                shards + " shards, sector " + s);
                    }
                }
            }
            assertEquals(reference.size(), index.usedCount());
            assertEquals(capacity - reference.size(), index.freeCount());
        }
    }

    @Test
    void versionChainsUnlinkFromAnyPosition() {
        for (int shards : new int[] {1, 4}) {
            CacheIndex index = new CacheIndex(8, shards);
            int a = allocate(index, 40, false);
            int b = allocate(index, 40, false);
            int c = allocate(index, 40, true);
            assertEquals(c, lookup(index, 40));
            assertEquals(b, index.older(c));
            index.release(b);
            assertEquals(a, index.older(c), "the middle version is unlinked");
            index.release(c);
            assertEquals(a, lookup(index, 40), "the newest goes, the older becomes newest");
            index.release(a);
            assertEquals(CacheIndex.NONE, lookup(index, 40));
            assertEquals(8, index.freeCount());
        }
    }
}

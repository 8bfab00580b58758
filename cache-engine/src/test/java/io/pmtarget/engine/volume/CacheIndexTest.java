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

    @Test
    void hashMatchesAReferenceMapUnderRandomInsertsAndRemovals() {
        int capacity = 512;
        CacheIndex index = new CacheIndex(capacity);
        Map<Long, Integer> reference = new HashMap<>();
        Random rnd = new Random(5);
        for (int step = 0; step < 200_000; step++) {
            long sector = rnd.nextInt(2048) * 8L;
            Integer e = reference.get(sector);
            if (e != null && rnd.nextBoolean()) {
                index.release(e);
                reference.remove(sector);
            } else if (e == null && index.freeCount() > 0) {
                int n = index.allocate(sector, false);
                index.linkNewest(n);
                reference.put(sector, n);
            }
            if (step % 1000 == 0) {
                for (long s = 0; s < 2048 * 8L; s += 8) {
                    Integer want = reference.get(s);
                    assertEquals(want == null ? CacheIndex.NONE : want, index.lookup(s), "sector " + s);
                }
            }
        }
        assertEquals(reference.size(), index.usedCount());
        assertEquals(capacity - reference.size(), index.freeCount());
    }

    @Test
    void versionChainsUnlinkFromAnyPosition() {
        CacheIndex index = new CacheIndex(8);
        int a = index.allocate(40, false);
        index.linkNewest(a);
        int b = index.allocate(40, false);
        index.linkNewest(b);
        int c = index.allocate(40, true);
        index.linkNewest(c);
        assertEquals(c, index.lookup(40));
        assertEquals(b, index.older(c));
        index.release(b);
        assertEquals(a, index.older(c), "the middle version is unlinked");
        index.release(c);
        assertEquals(a, index.lookup(40), "the newest goes, the older becomes newest");
        index.release(a);
        assertEquals(CacheIndex.NONE, index.lookup(40));
        assertEquals(8, index.freeCount());
    }
}

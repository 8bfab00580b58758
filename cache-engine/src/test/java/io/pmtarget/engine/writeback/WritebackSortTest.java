package io.pmtarget.engine.writeback;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WritebackSortTest {

    /** A source that is never asked for anything: the test drives sortBySector directly. */
    private static final class IdleSource implements WritebackSource {

        @Override
        public ByteBuffer cachedView(int firstEntry, int blocks) {
            return null;
        }

        @Override
        public boolean spaceUrgent(int blocks) {
            return false;
        }

        @Override
        public boolean writebackWanted() {
            return false;
        }

        @Override
        public int pickBatch(int[] entries, long[] sectors, int max) {
            return 0;
        }

        @Override
        public void readCached(int entry, ByteBuffer dst) {
            throw new AssertionError();
        }

        @Override
        public void writeBacking(long sector, ByteBuffer run) {
            throw new AssertionError();
        }

        @Override
        public void forceBacking() {
        }

        @Override
        public void completeBatch(int[] entries, int count) {
        }

        @Override
        public void failBatch(int[] entries, int count, java.io.IOException cause) {
        }

        @Override
        public void tick() {
        }

        @Override
        public int blockSizeBytes() {
            return 4096;
        }
    }

    @Test
    void sortsSectorsAndCarriesEachEntryAlong() {
        Writeback wb = new Writeback("t", new IdleSource(), 0);
        long[] sectors = wb.sectorsForTest();
        int[] entries = wb.entriesForTest();
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            int count = round == 0 ? 0 : round == 1 ? 1 : random.nextInt(sectors.length + 1);
            long[] pairs = new long[count];
            for (int i = 0; i < count; i++) {
                // Sectors with repeats; entry = a function of the sector, so it must travel with it.
                sectors[i] = (long) i * 8 * 131 % (count * 8L + 8) + (round % 3 == 0 ? 0 : 1L << 40);
                entries[i] = (int) (sectors[i] * 31 % 1_000_003);
                pairs[i] = sectors[i];
            }
            shuffle(sectors, entries, count, random);
            wb.sortBySector(count);
            Arrays.sort(pairs);
            assertArrayEquals(pairs, Arrays.copyOf(sectors, count), "round " + round);
            for (int i = 0; i < count; i++) {
                assertEquals((int) (sectors[i] * 31 % 1_000_003), entries[i], "entry moved with its sector");
            }
        }
    }

    @Test
    void equalSectorsKeepTheirPickedOrder() {
        Writeback wb = new Writeback("t", new IdleSource(), 0);
        long[] sectors = wb.sectorsForTest();
        int[] entries = wb.entriesForTest();
        long[] picked = {80, 8, 80, 16, 8, 80, 0};
        for (int i = 0; i < picked.length; i++) {
            sectors[i] = picked[i];
            entries[i] = i; // pick order = age
        }
        wb.sortBySector(picked.length);
        assertArrayEquals(new long[] {0, 8, 8, 16, 80, 80, 80}, Arrays.copyOf(sectors, picked.length));
        assertArrayEquals(new int[] {6, 1, 4, 3, 0, 2, 5}, Arrays.copyOf(entries, picked.length),
                "older versions of a sector stay first");
    }

    private static void shuffle(long[] sectors, int[] entries, int count, Random random) {
        for (int i = count - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            long s = sectors[i];
            sectors[i] = sectors[j];
            sectors[j] = s;
            int e = entries[i];
            entries[i] = entries[j];
            entries[j] = e;
        }
    }
}

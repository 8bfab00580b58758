package io.pmtarget.engine.pmem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SimulatedPmemDeviceTest {

    @Test
    void storeIsDurableOnlyAfterFlushAndDrain() {
        SimulatedPmemDevice d = new SimulatedPmemDevice(64);
        d.writeLong(8, 5);
        assertEquals(5, d.readLong(8), "a store is visible at once");
        assertEquals(1, d.dirtyWords());
        d.drain();
        assertEquals(1, d.dirtyWords(), "drain without flush persists nothing");
        d.flush(8, 8);
        d.drain();
        assertEquals(0, d.dirtyWords());
        assertEquals(5, d.crash(new Random(1)).readLong(8));
    }

    @Test
    void storeAfterFlushNeedsAnotherFlush() {
        SimulatedPmemDevice d = new SimulatedPmemDevice(64);
        d.writeLong(0, 1);
        d.flush(0, 8);
        d.writeLong(0, 2);
        d.drain();
        assertEquals(1, d.dirtyWords(), "the second store was not flushed");
    }

    @Test
    void persistentCopyIsDurableAfterDrain() {
        SimulatedPmemDevice d = new SimulatedPmemDevice(64);
        ByteBuffer src = ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        src.putLong(7).putLong(7).putLong(7).putLong(7).flip();
        d.writePersistent(16, src);
        assertEquals(32, src.position());
        d.drain();
        SimulatedPmemDevice c = d.crash(new Random(3));
        for (int off = 16; off < 48; off += 8) {
            assertEquals(7, c.readLong(off));
        }
    }

    @Test
    void crashKeepsARandomSubsetOfWordsReproducibly() {
        SimulatedPmemDevice d = new SimulatedPmemDevice(8 * 256);
        for (int w = 0; w < 256; w++) {
            d.writeLong(w * 8L, w + 1);
        }
        SimulatedPmemDevice a = d.crash(new Random(99));
        SimulatedPmemDevice b = d.crash(new Random(99));
        int kept = 0;
        for (int w = 0; w < 256; w++) {
            long v = a.readLong(w * 8L);
            assertTrue(v == 0 || v == w + 1, "a word is either old or new, never mixed");
            assertEquals(v, b.readLong(w * 8L), "same seed, same crash image");
            kept += v == 0 ? 0 : 1;
        }
        assertTrue(kept > 64 && kept < 192, "about half the words survive: " + kept);
        assertEquals(0, a.dirtyWords());
    }

    @Test
    void misalignedStoreIsRejectedAndHookSeesOperations() {
        SimulatedPmemDevice d = new SimulatedPmemDevice(64);
        assertThrows(IllegalArgumentException.class, () -> d.writeLong(4, 1));
        int[] seen = new int[1];
        d.setHook((dev, op) -> seen[0]++);
        d.writeLong(0, 1);
        d.flush(0, 8);
        d.drain();
        assertEquals(3, seen[0]);
    }
}

package io.pmtarget.target.pdu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak checks of the other tests mean something only if a real leak is caught. */
class LeakTrapTest {

    @Test
    void aDeliberateLeakIsReported() {
        assertTrue(LeakTrap.installed());
        LeakTrap.collect(); // start clean
        leakOne();
        List<String> leaks = LeakTrap.collect();
        assertFalse(leaks.isEmpty(), "an unreleased buffer must be reported");
    }

    private static void leakOne() {
        ByteBuf leaked = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeLong(42);
        // no release: the reference is dropped here
    }
}

package io.pmtarget.it.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The oracle must fail every kind of damage it exists to find (a checker that cannot fail proves nothing). */
class CrashOracleTest {

    private static final int BLOCK_BYTES = 512;
    private static final int BLOCKS = 4;

    /** seq 1: lba 0..1, acked; seq 2 sync acked; seq 3: lba 0..1 acked, not durable; seq 4: lba 2 FUA acked. */
    private static WriteLog log() {
        return WriteLog.parse(List.of("START 512", "W 1 0 2 10 0", "ACK W 1", "S 2 16", "ACK S 2",
                "W 3 0 2 16 0", "ACK W 3", "W 4 2 1 16 1", "ACK W 4", "W 5 3 1 10 0", "ERR 5 WRITE(10): gone"));
    }

    private static byte[] image(long seqLba0, long seqLba1, long seqLba2) {
        byte[] image = new byte[BLOCKS * BLOCK_BYTES];
        put(image, 0, seqLba0, 0);
        put(image, 1, seqLba1, 0);
        put(image, 2, seqLba2, 2);
        return image;
    }

    private static void put(byte[] image, long lba, long seq, long writeLba) {
        if (seq > 0) {
            BlockFormat.encode(image, (int) lba * BLOCK_BYTES, BLOCK_BYTES, 7, (int) (lba - writeLba), seq, lba);
        }
    }

    private static CrashOracle.Verdict check(byte[] image) {
        return new CrashOracle().check(7, log(), image, 0, BLOCK_BYTES);
    }

    @Test
    void acceptsDurableOrNewerVersionsAndAnySentVersionWhereNothingWasDurable() {
        assertTrue(check(image(1, 1, 4)).ok(), check(image(1, 1, 4)).violations().toString());
        assertTrue(check(image(3, 1, 4)).ok(), "a newer unsynced version may survive per block");
        byte[] withInFlight = image(3, 3, 4);
        put(withInFlight, 3, 5, 3);
        assertTrue(check(withInFlight).ok(), "the in-flight write may or may not have landed");
        CrashOracle.Verdict v = check(image(3, 3, 4));
        assertEquals(3, v.blocksDurable());
        assertEquals(3, v.blocksNewestAck());
    }

    @Test
    void findsLostSyncedWriteAndLostFuaWrite() {
        assertFalse(check(image(0, 1, 4)).ok(), "lba 0 lost the synced seq 1");
        assertFalse(check(image(1, 1, 0)).ok(), "lba 2 lost the FUA write seq 4");
    }

    @Test
    void findsTornMixedMisplacedAndInventedBlocks() {
        byte[] torn = image(1, 1, 4);
        torn[100] ^= 1;
        assertFalse(check(torn).ok(), "one flipped byte");
        byte[] mixed = image(1, 1, 4);
        byte[] newer = image(3, 3, 4);
        System.arraycopy(newer, 256, mixed, 256, 256);
        assertFalse(check(mixed).ok(), "half of seq 1, half of seq 3 in lba 0");
        byte[] misplaced = image(1, 1, 4);
        System.arraycopy(misplaced, 0, misplaced, 3 * BLOCK_BYTES, BLOCK_BYTES);
        assertFalse(check(misplaced).ok(), "lba 0's block found at lba 3");
        byte[] invented = image(1, 1, 4);
        put(invented, 3, 9, 3);
        assertFalse(check(invented).ok(), "seq 9 was never sent");
    }

    @Test
    void nextRoundAcceptsOnlyTheContentThePreviousRoundLeft() {
        CrashOracle oracle = new CrashOracle();
        assertTrue(oracle.check(7, log(), image(1, 1, 4), 0, BLOCK_BYTES).ok());
        WriteLog nothing = WriteLog.parse(List.of("START 512"));
        assertTrue(oracle.check(8, nothing, image(1, 1, 4), 0, BLOCK_BYTES).ok());
        assertFalse(oracle.check(8, nothing, image(3, 1, 4), 0, BLOCK_BYTES).ok(),
                "lba 0 changed in a round that wrote nothing");
    }
}

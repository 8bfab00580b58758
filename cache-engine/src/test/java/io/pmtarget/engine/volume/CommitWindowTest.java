package io.pmtarget.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Writes that land between a commit point and the walk that clears the committed generation's UNCOMMITTED
 * flags: the flags still say uncommitted, but the data is committed and must not be rewritten in place.
 */
class CommitWindowTest {

    private static final int BS = 4096;
    private static final int BLOCKS = 64;

    @Test
    void aWriteInTheWindowTakesANewEntryAndACrashKeepsTheCommittedData() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, BLOCKS));
            MemBackingDevice backing = new MemBackingDevice(new Object(), BLOCKS * BS * 4);
            CacheVolume v = (CacheVolume) TestVolumes.open(pmem, backing, BS,
                    TestVolumes.opts("autocommit_blocks", "1000", "autocommit_time", "3600000"));
            for (int b = 0; b < 8; b++) {
                v.write((long) b * BS, TestVolumes.block(BS, 100 + b), false);
            }
            long freeBefore = v.status().blocksFree();
            AtomicInteger hookRuns = new AtomicInteger();
            v.engine.afterCommitPointForTests = () -> {
                if (hookRuns.getAndIncrement() == 0) {
                    try {
                        for (int b = 0; b < 8; b += 2) {
                            v.write((long) b * BS, TestVolumes.block(BS, 200 + b), false);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
            v.flush(); // commits tags 100..107; the hook then rewrites the even blocks, uncommitted
            v.engine.afterCommitPointForTests = null;
            assertEquals(1, hookRuns.get(), "the hook ran in the window");
            assertEquals(freeBefore - 4, v.status().blocksFree(), "each window write took a fresh entry");
            for (int b = 0; b < 8; b++) {
                assertEquals(b % 2 == 0 ? 200 + b : 100 + b, TestVolumes.readTag(v, (long) b * BS), "block " + b);
            }
            // Crash without another commit: the window writes are uncommitted and vanish; the committed
            // generation must read back exactly as flushed.
            Volume r = TestVolumes.open(pmem.crash(new Random(seed)), backing.crash(new Object(), new Random(seed)),
                    BS, TestVolumes.opts());
            for (int b = 0; b < 8; b++) {
                assertEquals(100 + b, TestVolumes.readTag(r, (long) b * BS), "block " + b + " after crash, seed " + seed);
            }
            assertTrue(!r.readOnly() && r.status().error() == null, "recovered cleanly: " + r.status().error());
            r.close();
            v.close();
        }
    }
}

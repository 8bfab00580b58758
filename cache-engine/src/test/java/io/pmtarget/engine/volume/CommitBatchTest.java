package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.opts;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pmtarget.engine.pmem.SimulatedPmemDevice;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A commit that supersedes more versions than one free batch holds frees them all, in several batches. */
class CommitBatchTest {

    private static final int BS = 512;
    private static final int CACHE_BLOCKS = 8192;
    private static final int WRITTEN = SupersededVersions.BATCH * 2 + 300;

    @Test
    void commitFreesMoreSupersededVersionsThanOneBatch() throws Exception {
        SimulatedPmemDevice pmem = new SimulatedPmemDevice(TestVolumes.cacheBytes(BS, CACHE_BLOCKS));
        MemBackingDevice backing = new MemBackingDevice(new Object(), WRITTEN * BS);
        var quiet = opts("high_watermark", "100", "low_watermark", "100", "autocommit_blocks", "100000",
                "autocommit_time", "3600000");
        Volume v = TestVolumes.open(pmem, backing, BS, quiet);
        for (int b = 0; b < WRITTEN; b++) {
            v.write((long) b * BS, block(BS, 1), false);
        }
        v.flush();
        assertEquals(CACHE_BLOCKS - WRITTEN, v.status().blocksFree());
        for (int b = 0; b < WRITTEN; b++) {
            v.write((long) b * BS, block(BS, 2 + b), false);
        }
        assertEquals(CACHE_BLOCKS - 2L * WRITTEN, v.status().blocksFree());
        v.flush();
        assertEquals(CACHE_BLOCKS - WRITTEN, v.status().blocksFree(), "every superseded version is free again");
        for (int b = 0; b < WRITTEN; b++) {
            assertEquals(2 + b, TestVolumes.readTag(v, (long) b * BS), "block " + b);
        }
        Volume r = TestVolumes.open(pmem.crash(new Random(7)), backing.crash(new Object(), new Random(7)), BS, quiet);
        assertEquals(CACHE_BLOCKS - WRITTEN, r.status().blocksFree(), "recovery finds one version per block");
        for (int b = 0; b < WRITTEN; b++) {
            assertEquals(2 + b, TestVolumes.readTag(r, (long) b * BS), "after a crash, block " + b);
        }
        r.close();
        v.close();
    }
}

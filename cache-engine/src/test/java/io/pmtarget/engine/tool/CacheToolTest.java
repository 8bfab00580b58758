package io.pmtarget.engine.tool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.PmemDevice;
import io.pmtarget.engine.pmem.PmemDevices;
import io.pmtarget.engine.volume.CacheLayout;
import io.pmtarget.engine.volume.OffsetPmemDevice;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheToolTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        out.reset();
        err.reset();
        return CacheTool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void formatThenInspectIsConsistentAndReformatIsRefused() {
        Path f = dir.resolve("c.cache");
        assertEquals(0, run("format", f.toString(), "--block-size", "4096", "--size", "1048576"), err.toString());
        // 1 MiB / 4112 = 255 blocks; metadata 64 + 4080 = 4144 -> 8192; 8192 + 255*4096 > 1 MiB -> 254 blocks.
        assertTrue(out().contains("254 blocks"), out());
        assertEquals(0, run("inspect", f.toString()), err.toString());
        assertTrue(out().contains("n_blocks     254"), out());
        assertTrue(out().contains("0 committed, 0 uncommitted, 254 free"), out());
        assertTrue(out().contains("consistency  ok"), out());
        assertEquals(1, run("format", f.toString(), "--block-size", "4096", "--size", "1048576"));
        assertTrue(err.toString().contains("refusing to format"), err.toString());
    }

    @Test
    void inspectFindsEqualSeqDuplicatesSeqAboveSuperblockAndMisalignment() {
        Path f = dir.resolve("bad.cache");
        assertEquals(0, run("format", f.toString(), "--block-size", "4096", "--size", "1048576"));
        try (PmemDevice d = PmemDevices.open(f, 0, PmemDevices.PERSISTENCE_JAVA)) {
            d.writeLong(CacheLayout.SB_SEQ_COUNT_OFFSET, 10);
            entry(d, 0, 8, 3);
            entry(d, 1, 8, 3);
            entry(d, 2, 16, 11);
            entry(d, 3, 17, 4);
            entry(d, 4, 24, 10);
            d.flush(0, 4096);
            d.drain();
        }
        assertEquals(1, run("inspect", f.toString()));
        String text = out();
        assertTrue(text.contains("3 problem(s)"), text);
        assertTrue(text.contains("same seq 3"), text);
        assertTrue(text.contains("seq 11 above"), text);
        assertTrue(text.contains("sector 17 not aligned"), text);
        assertTrue(text.contains("3 committed, 1 uncommitted"), text);
        assertTrue(text.contains("sectors      2 cached, 1 superseded"), text);
    }

    @Test
    void inspectReadsBehindStartSectorAndCountsSupersededEntries() {
        Path f = dir.resolve("ss.cache");
        long startSector = 35;
        try (PmemDevice raw = PmemDevices.open(f, 1 << 20, PmemDevices.PERSISTENCE_JAVA)) {
            raw.writeLong(0, 0x1122334455667788L);   // a foreign header before start_sector
            PmemDevice d = new OffsetPmemDevice(raw, startSector * CacheLayout.SECTOR_BYTES);
            CacheLayout.format(d, 4096);
            d.writeLong(CacheLayout.SB_SEQ_COUNT_OFFSET, 3);
            entry(d, 0, 8, 1);
            entry(d, 1, 8, 2);   // a newer committed version of sector 8: legal, the higher seq wins
            entry(d, 2, 16, 2);
            raw.flush(0, 1 << 20);
            raw.drain();
        }
        assertEquals(1, run("inspect", f.toString()));
        assertTrue(out().contains("not a dm-writecache device"), out());
        assertEquals(0, run("inspect", f.toString(), "--start-sector", Long.toString(startSector)), out());
        String text = out();
        assertTrue(text.contains("entries      3 committed, 0 uncommitted"), text);
        assertTrue(text.contains("sectors      2 cached, 1 superseded"), text);
        assertTrue(text.contains("consistency  ok"), text);
        assertEquals(2, run("inspect", f.toString(), "--start-sector"));
        assertEquals(2, run("inspect", f.toString(), "--start-sector", "-1"));
        assertEquals(2, run("inspect", f.toString(), "--bogus", "1"));
    }

    @Test
    void inspectOfForeignFileFailsWithReason() throws Exception {
        Path f = dir.resolve("foreign");
        byte[] content = new byte[8192];
        byte[] text = "hello world, not a cache".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, content, 0, text.length);
        Files.write(f, content);
        assertEquals(1, run("inspect", f.toString()));
        assertTrue(out().contains("not a dm-writecache device"), out());
        assertEquals(2, run("bogus", "x"));
        assertEquals(2, run("format", dir.resolve("new").toString(), "--block-size", "4096"));
    }

    private static void entry(PmemDevice d, int e, long sector, long seq) {
        d.writeLong(CacheLayout.entryOffset(e), sector);
        d.writeLong(CacheLayout.entryOffset(e) + 8, seq);
    }
}

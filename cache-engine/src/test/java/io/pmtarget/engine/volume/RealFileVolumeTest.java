package io.pmtarget.engine.volume;

import static io.pmtarget.engine.volume.TestVolumes.block;
import static io.pmtarget.engine.volume.TestVolumes.readTag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole stack on real files: mapped cache file (PmemDevices), FileChannel backing file. */
class RealFileVolumeTest {

    private static final int BS = 4096;
    private static final long CACHE_BYTES = 1 << 20;
    private static final long BACKING_BYTES = 4 << 20;

    @TempDir
    Path dir;

    private VolumeSpec spec(Path cache, Path backing, Map<String, String> options) {
        return new VolumeSpec("real", cache, CACHE_BYTES, backing, BACKING_BYTES, BS, "auto", options);
    }

    @Test
    void uncommittedWritesVanishCommittedSurviveOnAKilledProcessCopy() throws Exception {
        Path cache = dir.resolve("c.cache");
        Path backing = dir.resolve("b.img");
        Map<String, String> quiet = TestVolumes.opts("high_watermark", "100", "low_watermark", "100",
                "autocommit_blocks", "100000", "autocommit_time", "3600000");
        Volume v = Volumes.open(spec(cache, backing, quiet));
        v.write(0, block(BS, 7), true);
        v.write(BS, block(BS, 8), false);
        // A killed process leaves the page cache as it is: copy the files while the volume is still open.
        Path cacheCopy = Files.copy(cache, dir.resolve("copy.cache"), StandardCopyOption.REPLACE_EXISTING);
        Path backingCopy = Files.copy(backing, dir.resolve("copy.img"), StandardCopyOption.REPLACE_EXISTING);
        v.close();
        Volume r = Volumes.open(spec(cacheCopy, backingCopy, quiet));
        assertEquals(7, readTag(r, 0));
        assertEquals(0, readTag(r, BS), "the uncommitted write is erased by recovery");
        r.close();
        Volume clean = Volumes.open(spec(cache, backing, quiet));
        assertEquals(8, readTag(clean, BS), "a clean close commits");
        clean.close();
    }

    @Test
    void writebackReachesBackingFileByteExact() throws Exception {
        Path cache = dir.resolve("c.cache");
        Path backing = dir.resolve("b.img");
        byte[] expected = new byte[(int) BACKING_BYTES];
        Random rnd = new Random(42);
        try (Volume v = Volumes.open(spec(cache, backing, Map.of()))) {
            for (int i = 0; i < 600; i++) {
                int blocks = 1 + rnd.nextInt(4);
                int first = rnd.nextInt((int) (BACKING_BYTES / BS) - blocks);
                byte[] data = new byte[blocks * BS];
                rnd.nextBytes(data);
                v.write((long) first * BS, ByteBuffer.wrap(data), rnd.nextInt(10) == 0);
                System.arraycopy(data, 0, expected, first * BS, data.length);
            }
            v.discard(0, 16 * BS);
            java.util.Arrays.fill(expected, 0, 16 * BS, (byte) 0);
            ByteBuffer all = ByteBuffer.allocate((int) BACKING_BYTES);
            v.read(0, all);
            assertArrayEquals(expected, all.array(), "reads see the newest data");
            v.message("flush");
            assertEquals(v.status().blocksTotal(), v.status().blocksFree());
        }
        assertArrayEquals(expected, Files.readAllBytes(backing), "backing file after writeback");
    }

    @Test
    void refusesToFormatAForeignFile() throws Exception {
        Path cache = dir.resolve("foreign.cache");
        byte[] junk = new byte[(int) CACHE_BYTES];
        junk[0] = 1;
        Files.write(cache, junk);
        VolumeException e = assertThrows(VolumeException.class,
                () -> Volumes.open(spec(cache, dir.resolve("b.img"), Map.of())));
        assertEquals(VolumeException.Kind.CACHE_ERROR, e.kind());
        assertArrayEquals(junk, Files.readAllBytes(cache), "a refused file is left untouched");
    }
}

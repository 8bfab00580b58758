package io.pmtarget.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.engine.pmem.HolePunch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discard returns space: through the native helper a file-backed volume's discard punches a hole
 * (fallocate PUNCH_HOLE | KEEP_SIZE), so the backing file's allocated blocks (st_blocks, via stat(1))
 * shrink and the range reads zeros; the zero-writing fallback reads zeros but keeps the space.
 */
class DiscardHoleTest {

    private static final int BS = 4096;
    private static final long BACKING_BYTES = 8L << 20;
    private static final long DISCARD_OFFSET = 1L << 20;
    private static final long DISCARD_BYTES = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void volumeDiscardPunchesHoleInBackingFile() throws Exception {
        boolean expected = Boolean.getBoolean("pmtarget.native.expected");
        assertEquals(expected, HolePunch.available(), "native helper availability (pmtarget.native.expected)");
        Path backing = dir.resolve("b.img");
        VolumeSpec spec = new VolumeSpec("hole", dir.resolve("c.cache"), 1 << 20, backing, BACKING_BYTES, BS,
                "auto", Map.of());
        try (Volume v = Volumes.open(spec)) {
            assertTrue(v.discardReadsZeros(), "a regular file reads zeros after discard");
            fillAndDrain(v);
            long before = allocatedBlocks(backing);
            assertTrue(before * 512 >= BACKING_BYTES, "written file is allocated: " + before + " blocks");
            v.discard(DISCARD_OFFSET, DISCARD_BYTES);
            long after = allocatedBlocks(backing);
            if (expected) {
                assertTrue(before - after >= DISCARD_BYTES / 512, "st_blocks " + before + " -> " + after
                        + " should drop by " + DISCARD_BYTES / 512);
            }
            checkContent(v);
        }
    }

    @Test
    void zeroWritingFallbackReadsZerosAndKeepsSpace() throws Exception {
        Path f = dir.resolve("z.img");
        try (FileBackingDevice d = FileBackingDevice.open(f, BACKING_BYTES)) {
            d.useZeroWrites();
            assertFalse(d.punchesHoles());
            byte[] ones = new byte[(int) BACKING_BYTES];
            Arrays.fill(ones, (byte) 1);
            d.write(0, ByteBuffer.wrap(ones));
            d.force();
            long before = allocatedBlocks(f);
            d.discard(DISCARD_OFFSET, DISCARD_BYTES);
            d.force();
            assertEquals(before, allocatedBlocks(f), "zero writes keep the space allocated");
            ByteBuffer all = ByteBuffer.allocate((int) BACKING_BYTES);
            d.read(0, all);
            Arrays.fill(ones, (int) DISCARD_OFFSET, (int) (DISCARD_OFFSET + DISCARD_BYTES), (byte) 0);
            assertTrue(Arrays.equals(ones, all.array()), "discarded range reads zeros, the rest is intact");
        }
    }

    private static void fillAndDrain(Volume v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BS);
        for (long off = 0; off < BACKING_BYTES; off += BS) {
            b.clear();
            Arrays.fill(b.array(), (byte) (1 + off / BS % 200));
            v.write(off, b, false);
        }
        v.message("flush");
    }

    private static void checkContent(Volume v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(BS);
        for (long off = 0; off < BACKING_BYTES; off += BS) {
            b.clear();
            v.read(off, b);
            boolean inRange = off >= DISCARD_OFFSET && off < DISCARD_OFFSET + DISCARD_BYTES;
            byte want = inRange ? 0 : (byte) (1 + off / BS % 200);
            for (byte x : b.array()) {
                if (x != want) {
                    throw new AssertionError("offset " + off + ": byte " + x + ", expected " + want);
                }
            }
        }
    }

    /** st_blocks (512-byte units) via stat(1): the JDK exposes no allocated size. */
    static long allocatedBlocks(Path f) throws IOException {
        Process p = new ProcessBuilder("stat", "-c", "%b", f.toString()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IOException("stat -c %b " + f + " exited " + rc + ": " + out);
            }
            return Long.parseLong(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running stat", e);
        }
    }
}

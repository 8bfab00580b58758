package io.pmtarget.engine.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every access method at edge offsets and odd lengths, in the native and the Java mode. */
class MappedPmemDeviceTest {

    private static final int SIZE_BYTES = 64 * 1024;
    private static final int[] LENGTHS = {1, 7, 63, 64, 65, 4095, 4096, 4097};
    private static final byte GUARD = (byte) 0xA5;

    @TempDir
    Path dir;

    private PmemDevice open(String persistence) {
        if (persistence.equals("native")) {
            assumeTrue(NativeExpectation.nativeLoads(), "native helper not loaded (NativeLoadTest decides if that is ok)");
        }
        PmemDevice d = PmemDevices.open(dir.resolve("dev.pmem"), SIZE_BYTES, persistence);
        assertTrue(d.mode().startsWith(persistence.equals("native") ? "native-" : "java-"), d.mode());
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void longsAndIntsAtEdges(String persistence) {
        try (PmemDevice d = open(persistence)) {
            long[] offsets = {0, 8, SIZE_BYTES / 2, SIZE_BYTES - 8};
            for (long off : offsets) {
                long v = 0x0102030405060708L ^ off;
                d.writeLong(off, v);
                assertEquals(v, d.readLong(off));
                d.writeInt(off, (int) ~v);
                assertEquals((int) ~v, d.readInt(off));
                d.persistLong(off, -v);
                assertEquals(-v, d.readLong(off));
            }
            d.writeInt(SIZE_BYTES - 4, 0xCAFEBABE);
            assertEquals(0xCAFEBABE, d.readInt(SIZE_BYTES - 4));
            d.writeLong(16, 0x1122334455667788L);
            assertEquals(0x55667788, d.readInt(16), "little-endian words (on-media format)");
            d.flush(0, SIZE_BYTES);
            d.drain();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void writePersistentRoundTripsEveryLengthAndOffsetWithoutTouchingNeighbours(String persistence) {
        Random rnd = new Random(42);
        try (PmemDevice d = open(persistence)) {
            for (int length : LENGTHS) {
                long[] offsets = {0, 1, 3, 8, 13, 64, SIZE_BYTES / 2 + 5, SIZE_BYTES - length};
                for (long off : offsets) {
                    for (int kind = 0; kind < 4; kind++) {
                        byte[] data = new byte[length];
                        rnd.nextBytes(data);
                        fillGuard(d);
                        ByteBuffer src = source(kind, data);
                        int limit = src.limit();
                        d.writePersistent(off, src);
                        d.drain();
                        assertEquals(limit, src.position(), "source position advanced");
                        String what = persistence + " kind " + kind + " off " + off + " len " + length;
                        assertArrayEquals(data, readBack(d, off, length, kind % 2 == 0), what);
                        checkGuard(d, off, length, what);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void writeDurableStoresWordsAndDataWithoutTouchingNeighbours(String persistence) {
        Random rnd = new Random(43);
        try (PmemDevice d = open(persistence)) {
            long wordsOffset = SIZE_BYTES - 16;
            for (int length : LENGTHS) {
                for (int kind = 0; kind < 4; kind++) {
                    long off = 64 + kind * 3;
                    byte[] data = new byte[length];
                    rnd.nextBytes(data);
                    fillGuard(d);
                    ByteBuffer src = source(kind, data);
                    int limit = src.limit();
                    long first = rnd.nextLong();
                    long second = rnd.nextLong();
                    if (length % 2 == 0) {
                        d.writeDurable(off, src, wordsOffset, first, second);
                    } else {
                        d.writeDurable(off, src);
                    }
                    String what = persistence + " kind " + kind + " len " + length;
                    assertEquals(limit, src.position(), "source position advanced: " + what);
                    assertArrayEquals(data, readBack(d, off, length, true), what);
                    if (length % 2 == 0) {
                        assertEquals(first, d.readLong(wordsOffset), what);
                        assertEquals(second, d.readLong(wordsOffset + 8), what);
                        d.writeLong(wordsOffset, 0xA5A5A5A5A5A5A5A5L);
                        d.writeLong(wordsOffset + 8, 0xA5A5A5A5A5A5A5A5L);
                    }
                    checkGuard(d, off, length, what);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void writeLongsPersistentStoresAtEveryIndexAndNowhereElse(String persistence) {
        try (PmemDevice d = open(persistence)) {
            fillGuard(d);
            int[] indexes = {5, 0, 4095, 17, 99};
            d.writeLongsPersistent(8, 16, indexes, 4, -1L); // the last index is beyond count: not stored
            d.drain();
            ByteBuffer all = ByteBuffer.allocate(SIZE_BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            d.read(0, all);
            java.util.Set<Long> stored = new java.util.HashSet<>();
            for (int i = 0; i < 4; i++) {
                long at = 8 + 16L * indexes[i];
                assertEquals(-1L, all.getLong((int) at), "index " + indexes[i]);
                for (int b = 0; b < 8; b++) {
                    stored.add(at + b);
                }
            }
            for (int i = 0; i < SIZE_BYTES; i++) {
                if (!stored.contains((long) i) && all.get(i) != GUARD) {
                    throw new AssertionError(persistence + ": byte " + i + " changed");
                }
            }
            int[] outside = {0, 4096};
            assertThrows(IndexOutOfBoundsException.class, () -> d.writeLongsPersistent(8, 16, outside, 2, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> d.writeLongsPersistent(8, 16, new int[] {-1}, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> d.writeLongsPersistent(4, 16, indexes, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> d.writeLongsPersistent(8, 12, indexes, 1, 1));
            assertThrows(IllegalArgumentException.class, () -> d.writeLongsPersistent(8, 16, indexes, 6, 1));
            assertEquals(0xA5A5A5A5A5A5A5A5L, d.readLong(8 + 16L * 99), "rejected batches store nothing");
            assertThrows(IllegalArgumentException.class,
                    () -> d.writeDurable(0, ByteBuffer.allocate(8), 8, 1, 2)); // words not 16-byte aligned
            assertThrows(IndexOutOfBoundsException.class,
                    () -> d.writeDurable(SIZE_BYTES - 4, ByteBuffer.allocate(8), 0, 1, 2));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void viewShowsTheDeviceBytesWithoutCopyingAndIsReadOnly(String persistence) {
        try (PmemDevice d = open(persistence)) {
            byte[] data = new byte[8192];
            new Random(44).nextBytes(data);
            d.writeDurable(4096, ByteBuffer.wrap(data));
            ByteBuffer view = d.view(4096, 8192);
            assertTrue(view.isDirect() && view.isReadOnly(), "a read-only direct view");
            assertEquals(8192, view.remaining());
            byte[] seen = new byte[8192];
            view.duplicate().get(seen);
            assertArrayEquals(data, seen);
            d.writeLong(4096, 0x0102030405060708L);
            assertEquals(0x0102030405060708L, view.order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(view.position()),
                    "the view is the device, not a copy");
            assertEquals(0, d.view(SIZE_BYTES, 0).remaining());
            assertThrows(IndexOutOfBoundsException.class, () -> d.view(SIZE_BYTES - 8, 16));
            assertThrows(IndexOutOfBoundsException.class, () -> d.view(-1, 1));
        }
    }

    /** 0: heap at a non-zero position, 1: direct at a non-zero position, 2: read-only heap, 3: read-only direct. */
    private static ByteBuffer source(int kind, byte[] data) {
        int pad = 5;
        ByteBuffer b = (kind == 0 || kind == 2) ? ByteBuffer.allocate(data.length + 2 * pad)
                : ByteBuffer.allocateDirect(data.length + 2 * pad);
        b.position(pad);
        b.put(data);
        b.position(pad).limit(pad + data.length);
        return kind >= 2 ? b.asReadOnlyBuffer() : b;
    }

    private static byte[] readBack(PmemDevice d, long off, int length, boolean direct) {
        ByteBuffer dst = direct ? ByteBuffer.allocateDirect(length + 3) : ByteBuffer.allocate(length + 3);
        dst.position(3);
        d.read(off, dst);
        assertEquals(length + 3, dst.position());
        byte[] out = new byte[length];
        dst.position(3);
        dst.get(out);
        return out;
    }

    private static void fillGuard(PmemDevice d) {
        byte[] guard = new byte[SIZE_BYTES];
        java.util.Arrays.fill(guard, GUARD);
        d.writePersistent(0, ByteBuffer.wrap(guard));
    }

    private static void checkGuard(PmemDevice d, long off, int length, String what) {
        ByteBuffer all = ByteBuffer.allocate(SIZE_BYTES);
        d.read(0, all);
        for (int i = 0; i < SIZE_BYTES; i++) {
            if (i < off || i >= off + length) {
                if (all.get(i) != GUARD) {
                    throw new AssertionError(what + ": byte " + i + " outside the written range changed");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void boundsAndAlignmentAreChecked(String persistence) {
        try (PmemDevice d = open(persistence)) {
            assertThrows(IndexOutOfBoundsException.class, () -> d.readLong(SIZE_BYTES - 7));
            assertThrows(IndexOutOfBoundsException.class, () -> d.readLong(-8));
            assertThrows(IndexOutOfBoundsException.class, () -> d.readInt(SIZE_BYTES - 3));
            assertThrows(IndexOutOfBoundsException.class, () -> d.writeLong(SIZE_BYTES, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> d.writeInt(SIZE_BYTES, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> d.persistLong(SIZE_BYTES, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> d.read(SIZE_BYTES - 1, ByteBuffer.allocate(2)));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> d.writePersistent(SIZE_BYTES, ByteBuffer.allocate(1)));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> d.writePersistent(Long.MAX_VALUE, ByteBuffer.allocateDirect(1)));
            assertThrows(IndexOutOfBoundsException.class, () -> d.flush(SIZE_BYTES - 1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> d.flush(0, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> d.flush(Long.MAX_VALUE, Long.MAX_VALUE));
            assertThrows(IllegalArgumentException.class, () -> d.writeLong(4, 1));
            assertThrows(IllegalArgumentException.class, () -> d.writeLong(SIZE_BYTES - 9, 1));
            assertThrows(IllegalArgumentException.class, () -> d.persistLong(12, 1));
            assertThrows(IllegalArgumentException.class, () -> d.writeInt(2, 1));
            assertThrows(ReadOnlyBufferException.class, () -> d.read(0, ByteBuffer.allocate(8).asReadOnlyBuffer()));
            ByteBuffer src = ByteBuffer.allocate(16);
            assertThrows(IndexOutOfBoundsException.class, () -> d.writePersistent(SIZE_BYTES - 8, src));
            assertEquals(0, src.position(), "a rejected write consumes nothing");
            d.flush(SIZE_BYTES, 0);
            d.writePersistent(SIZE_BYTES, ByteBuffer.allocate(0));
            d.read(SIZE_BYTES, ByteBuffer.allocate(0));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void dataSurvivesCloseAndReopenInEitherMode(String persistence) {
        byte[] block = new byte[4097];
        new Random(7).nextBytes(block);
        Path file = dir.resolve("dev.pmem");
        try (PmemDevice d = open(persistence)) {
            d.writePersistent(8191, ByteBuffer.wrap(block));
            d.writeLong(SIZE_BYTES - 8, 0x5EED5EED5EED5EEDL);
            d.flush(SIZE_BYTES - 8, 8);
            d.drain();
        }
        for (String reopenAs : new String[] {"java", "auto"}) {
            try (PmemDevice d = PmemDevices.open(file, 0, reopenAs)) {
                assertEquals(SIZE_BYTES, d.sizeBytes());
                byte[] back = new byte[block.length];
                d.read(8191, ByteBuffer.wrap(back));
                assertArrayEquals(block, back);
                assertEquals(0x5EED5EED5EED5EEDL, d.readLong(SIZE_BYTES - 8));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void useAfterCloseFailsLoudly(String persistence) {
        PmemDevice d = open(persistence);
        d.close();
        assertThrows(IllegalStateException.class, () -> d.readLong(0));
        assertThrows(IllegalStateException.class, () -> d.writeLong(0, 1));
        assertThrows(IllegalStateException.class, d::drain);
        d.close(); // idempotent
    }
}

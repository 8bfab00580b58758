package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static io.pmtarget.target.scsi.Harness.pattern;
import static io.pmtarget.target.scsi.Harness.read10;
import static io.pmtarget.target.scsi.Harness.rw16;
import static io.pmtarget.target.scsi.Harness.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ProvisioningCommandsTest {

    private final Harness h = new Harness();

    @AfterEach
    void close() {
        h.close();
    }

    static byte[] unmapList(long[]... ranges) {
        byte[] p = new byte[8 + 16 * ranges.length];
        Cdb.putShort(p, 0, p.length - 2);
        Cdb.putShort(p, 2, 16 * ranges.length);
        for (int i = 0; i < ranges.length; i++) {
            Cdb.putLong(p, 8 + 16 * i, ranges[i][0]);
            Cdb.putInt(p, 16 + 16 * i, (int) ranges[i][1]);
        }
        return p;
    }

    static byte[] unmapCdb(int length) {
        return cdb(0x42, 0, 0, 0, 0, 0, 0, length >>> 8, length & 0xFF, 0);
    }

    @Test
    void unmapDiscardsEveryDescriptor() {
        h.exec(write10(10, 2, 0), pattern(1024, 1)).assertGood();
        byte[] list = unmapList(new long[] {10, 2}, new long[] {100, 8}, new long[] {200, 0});
        h.exec(unmapCdb(list.length), list).assertGood();
        assertEquals(List.of(new MemoryVolume.DiscardCall(10 * 512, 1024), new MemoryVolume.DiscardCall(100 * 512, 4096)),
                h.volume.discards());
        assertArrayEquals(new byte[1024], h.exec(read10(10, 2, 0)).data(), "LBPRZ: unmapped blocks read zeros");
    }

    @Test
    void unmapValidationTouchesNothing() {
        long capacity = h.capacityBlocks();
        byte[] outOfRange = unmapList(new long[] {0, 1}, new long[] {capacity - 1, 2});
        h.exec(unmapCdb(outOfRange.length), outOfRange).assertSense(0x5, 0x21, 0x00);
        h.exec(unmapCdb(0), null).assertGood(); // no parameter list: not an error
        h.exec(unmapCdb(4), new byte[4]).assertSense(0x5, 0x1A, 0x00);
        byte[] lying = unmapList(new long[] {0, 1});
        Cdb.putShort(lying, 2, 32); // claims two descriptors, carries one
        h.exec(unmapCdb(lying.length), lying).assertSense(0x5, 0x26, 0x00);
        long[][] many = new long[InquiryCommands.MAX_UNMAP_DESCRIPTORS + 1][];
        for (int i = 0; i < many.length; i++) {
            many[i] = new long[] {i, 1};
        }
        byte[] tooMany = unmapList(many);
        h.exec(unmapCdb(tooMany.length), tooMany).assertSense(0x5, 0x26, 0x00);
        h.exec(cdb(0x42, 0x01, 0, 0, 0, 0, 0, 0, 24, 0), unmapList(new long[] {0, 1})).assertInvalidCdbField(1, 0); // ANCHOR
        assertTrue(h.volume.discards().isEmpty());
        h.volume.readOnly = true;
        byte[] ok = unmapList(new long[] {0, 1});
        h.exec(unmapCdb(ok.length), ok).assertSense(0x7, 0x27, 0x00);
    }

    @Test
    void writeSameWritesThePattern() {
        byte[] block = pattern(512, 7);
        h.exec(cdb(0x41, 0, 0, 0, 0, 50, 0, 0, 3, 0), block).assertGood();
        for (int i = 0; i < 3; i++) {
            h.assertVolume((50 + i) * 512, block);
        }
        h.exec(rw16(0x93, 60, 2, 0), block).assertGood();
        h.assertVolume(61 * 512, block);
        assertTrue(h.volume.discards().isEmpty());
        // UNMAP with a non-zero pattern must still leave the pattern readable: it is written.
        h.exec(rw16(0x93, 70, 2, 0x08), block).assertGood();
        h.assertVolume(71 * 512, block);
        assertTrue(h.volume.discards().isEmpty());
    }

    @Test
    void writeSameUnmapAndNdobDiscard() {
        h.exec(write10(80, 4, 0), pattern(2048, 3)).assertGood();
        h.exec(cdb(0x41, 0x08, 0, 0, 0, 80, 0, 0, 2, 0), new byte[512]).assertGood();
        h.exec(rw16(0x93, 82, 2, 0x09), null).assertGood(); // UNMAP + NDOB
        assertEquals(List.of(new MemoryVolume.DiscardCall(80 * 512, 1024), new MemoryVolume.DiscardCall(82 * 512, 1024)),
                h.volume.discards());
        assertArrayEquals(new byte[2048], h.exec(read10(80, 4, 0)).data());
        h.exec(write10(90, 1, 0), pattern(512, 3)).assertGood();
        h.exec(rw16(0x93, 90, 1, 0x01), null).assertGood(); // NDOB without UNMAP: zeros written
        h.assertVolume(90 * 512, new byte[512]);
    }

    @Test
    void writeSameWithoutLbprzWritesZerosInsteadOfDiscarding() {
        try (Harness noZero = new Harness(512, 512, 1 << 20, false)) {
            noZero.exec(rw16(0x93, 5, 2, 0x09), null).assertGood();
            assertTrue(noZero.volume.discards().isEmpty());
            assertEquals(1, noZero.volume.writes().size());
        }
    }

    @Test
    void writeSameBadCdbs() {
        h.exec(cdb(0x41, 0, 0, 0, 0, 0, 0, 0, 0, 0), new byte[512]).assertInvalidCdbField(7, -1); // WSNZ
        h.exec(rw16(0x93, 0, InquiryCommands.MAX_WRITE_SAME_BLOCKS + 1, 0), new byte[512]).assertSense(0x5, 0x21, 0x00);
        h.exec(cdb(0x41, 0x10, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]).assertInvalidCdbField(1, 4); // ANCHOR
        h.exec(cdb(0x41, 0x01, 0, 0, 0, 0, 0, 0, 1, 0), new byte[512]).assertInvalidCdbField(1, 0); // no NDOB in (10)
        h.exec(rw16(0x93, h.capacityBlocks() - 1, 2, 0), new byte[512]).assertSense(0x5, 0x21, 0x00);
        assertTrue(h.volume.writes().isEmpty());
    }

    @Test
    void writeSameAboveMaximumOnABigLun() {
        try (Harness big = new Harness(512, 512, 64L << 20, true)) {
            big.exec(rw16(0x93, 0, InquiryCommands.MAX_WRITE_SAME_BLOCKS + 1, 0), new byte[512]).assertInvalidCdbField(10, -1);
            big.exec(rw16(0x93, 0, InquiryCommands.MAX_WRITE_SAME_BLOCKS, 0), pattern(512, 1)).assertGood();
            big.assertVolume((InquiryCommands.MAX_WRITE_SAME_BLOCKS - 1) * 512, pattern(512, 1));
        }
    }

    static byte[] caw(long lba, int blocks, int flags) {
        byte[] c = new byte[16];
        c[0] = (byte) 0x89;
        c[1] = (byte) flags;
        Cdb.putLong(c, 2, lba);
        c[13] = (byte) blocks;
        return c;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void compareAndWrite() {
        byte[] old = pattern(1024, 1);
        byte[] fresh = pattern(1024, 2);
        h.exec(write10(5, 2, 0), old).assertGood();
        h.exec(caw(5, 2, 0x08), concat(old, fresh)).assertGood();
        h.assertVolume(5 * 512, fresh);
        assertTrue(h.volume.writes().get(1).fua(), "FUA bit honoured");
        byte[] stale = old.clone();
        Harness.Result mis = h.exec(caw(5, 2, 0), concat(stale, pattern(1024, 3)));
        mis.assertSense(0xE, 0x1D, 0x00);
        int firstDiff = 0;
        while (old[firstDiff] == fresh[firstDiff]) {
            firstDiff++;
        }
        assertEquals(firstDiff, mis.information());
        h.assertVolume(5 * 512, fresh);
        h.exec(caw(h.capacityBlocks() - 1, 2, 0), new byte[2048]).assertSense(0x5, 0x21, 0x00);
        h.exec(caw(0, 0, 0), null).assertGood();
        h.exec(caw(0, 1, 0), new byte[512]).assertSense(0x5, 0x0E, 0x03);
        h.exec(caw(0, 1, 0x20), new byte[1024]).assertInvalidCdbField(1, 5); // WRPROTECT
    }

    /**
     * A plain WRITE issued while COMPARE AND WRITE is between its read and its write must not be
     * lost: either it runs first (the compare fails) or after (it overwrites the new data). With the
     * range lock it waits; without it, the C&W would write over it having compared stale data.
     */
    @Test
    void compareAndWriteIsAtomicAgainstConcurrentWrite() throws Exception {
        byte[] a = pattern(512, 1);
        byte[] b = pattern(512, 2);
        byte[] c = pattern(512, 3);
        h.exec(write10(0, 1, 0), a).assertGood();
        java.util.concurrent.CompletableFuture<Harness.Result> plain = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        h.volume.readHook = () -> {
            if (once.compareAndSet(false, true)) {
                new Thread(() -> plain.complete(h.exec(write10(0, 1, 0), c))).start();
                java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // let the write try to run
            }
        };
        Harness.Result cw = h.exec(caw(0, 1, 0), concat(a, b));
        plain.get(10, java.util.concurrent.TimeUnit.SECONDS).assertGood();
        h.volume.readHook = null;
        cw.assertGood();
        h.assertVolume(0, c);
    }

    /** Many threads increment a counter with READ + COMPARE AND WRITE; no increment may be lost. */
    @Test
    void compareAndWriteCounterUnderContention() throws Exception {
        int threads = 4;
        int increments = 100;
        h.exec(write10(3, 1, 0), new byte[512]).assertGood();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicInteger miscompares = new java.util.concurrent.atomic.AtomicInteger();
        List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                for (int i = 0; i < increments; ) {
                    byte[] cur = h.exec(read10(3, 1, 0)).data();
                    byte[] next = cur.clone();
                    Cdb.putLong(next, 0, Cdb.u64(cur, 0) + 1);
                    Harness.Result r = h.exec(caw(3, 1, 0), concat(cur, next));
                    if (r.status() == 0) {
                        i++;
                    } else {
                        r.assertSense(0xE, 0x1D, 0x00);
                        miscompares.incrementAndGet();
                    }
                }
            }));
        }
        for (java.util.concurrent.Future<?> f : fs) {
            f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(threads * increments, Cdb.u64(h.volume.bytes(3 * 512, 512), 0));
    }
}

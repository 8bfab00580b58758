package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static io.pmtarget.target.scsi.Harness.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ModeCommandsTest {

    private final Harness h = new Harness();

    @AfterEach
    void close() {
        h.close();
    }

    private byte[] sense6(int pageByte, int alloc) {
        Harness.Result r = h.exec(cdb(0x1A, 0, pageByte, 0, alloc, 0));
        r.assertGood();
        return r.data();
    }

    @Test
    void modeSense6CachingPageWithBlockDescriptor() {
        byte[] d = sense6(0x08, 0xFF);
        assertEquals(4 + 8 + 20, d.length);
        assertEquals(d.length - 1, d[0], "mode data length");
        assertEquals(0x10, d[2], "DPOFUA, not write protected");
        assertEquals(8, d[3], "block descriptor length");
        assertEquals(h.capacityBlocks(), Cdb.u32(d, 4));
        assertEquals(512, Cdb.u24(d, 9));
        assertEquals(0x08, d[12]);
        assertEquals(0x12, d[13]);
        assertEquals(0x04, d[14] & 0x04, "WCE on by default");
    }

    @Test
    void modeSense10LongLbaAndDbd() {
        Harness.Result r = h.exec(cdb(0x5A, 0x10, 0x08, 0, 0, 0, 0, 0, 0xFF, 0));
        r.assertGood();
        byte[] d = r.data();
        assertEquals(8 + 16 + 20, d.length);
        assertEquals(d.length - 2, Cdb.u16(d, 0));
        assertEquals(1, d[4] & 1, "LONGLBA");
        assertEquals(16, Cdb.u16(d, 6));
        assertEquals(h.capacityBlocks(), Cdb.u64(d, 8));
        assertEquals(512, Cdb.u32(d, 20));
        Harness.Result dbd = h.exec(cdb(0x5A, 0x08, 0x0A, 0, 0, 0, 0, 0, 0xFF, 0));
        assertEquals(8 + 12, dbd.data().length);
        assertEquals(0x0A, dbd.data()[8]);
        assertEquals(0x10, dbd.data()[11], "control page: QAM = 1");
    }

    @Test
    void allPagesInAscendingOrder() {
        byte[] d = sense6(0x3F, 0xFF);
        assertEquals(4 + 8 + 12 + 20 + 12, d.length);
        assertEquals(0x01, d[12]);
        assertEquals(0x08, d[24]);
        assertEquals(0x0A, d[44]);
        assertArrayEquals(Arrays.copyOf(d, 10), sense6(0x3F, 10), "allocation length truncates");
        h.exec(cdb(0x1A, 0, 0x3F, 0xFF, 0xFF, 0)).assertGood(); // all subpages (we have none)
    }

    @Test
    void pageControl() {
        byte[] changeable = sense6(0x48, 0xFF);
        assertEquals(0x04, changeable[14], "only WCE is changeable");
        byte[] defaults = sense6(0x88, 0xFF);
        assertEquals(0x04, defaults[14] & 0x04);
        h.exec(cdb(0x1A, 0, 0xC8, 0, 0xFF, 0)).assertSense(0x5, 0x39, 0x00);
    }

    @Test
    void badModeSenseFields() {
        h.exec(cdb(0x1A, 0, 0x1C, 0, 0xFF, 0)).assertInvalidCdbField(2, 5);
        h.exec(cdb(0x1A, 0, 0x08, 0x01, 0xFF, 0)).assertInvalidCdbField(3, 7);
        h.exec(cdb(0x1A, 0x10, 0x08, 0, 0xFF, 0)).assertInvalidCdbField(1, 4); // LLBAA only in (10)
    }

    private byte[] cachingSelect6(boolean wce) {
        byte[] p = new byte[4 + 20];
        p[4] = 0x08;
        p[5] = 0x12;
        p[6] = (byte) (wce ? 0x04 : 0);
        return p;
    }

    @Test
    void modeSelectRoundTripAndWceBehaviour() {
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
        h.exec(Harness.NEXUS_B, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertGood();
        h.exec(cdb(0x15, 0x10, 0, 0, 24, 0), cachingSelect6(false)).assertGood();
        assertEquals(0, sense6(0x08, 0xFF)[14] & 0x04, "WCE now 0");
        assertEquals(1, h.volume.flushes(), "turning the cache off commits what it held");
        h.exec(write10(0, 1, 0), new byte[512]).assertGood();
        assertTrue(h.volume.writes().get(0).fua(), "with WCE = 0 every write is FUA");
        // The other nexus is told that mode parameters changed; the one that changed them is not.
        h.exec(Harness.NEXUS_B, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x6, 0x2A, 0x01);
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
        // MODE SELECT(10) with a block descriptor turns it back on.
        byte[] p10 = new byte[8 + 8 + 20];
        p10[7] = 8;
        Cdb.putInt(p10, 8, (int) h.capacityBlocks());
        Cdb.putInt(p10, 12, 512);
        p10[16] = 0x08;
        p10[17] = 0x12;
        p10[18] = 0x04;
        h.exec(cdb(0x55, 0x10, 0, 0, 0, 0, 0, 0, p10.length, 0), p10).assertGood();
        assertEquals(0x04, sense6(0x08, 0xFF)[14] & 0x04);
        h.exec(write10(0, 1, 0), new byte[512]).assertGood();
        assertFalse(h.volume.writes().get(1).fua());
    }

    @Test
    void modeSelectValidation() {
        byte[] p = cachingSelect6(true);
        p[6] |= 0x01; // RCD: not changeable
        Harness.Result r = h.exec(cdb(0x15, 0x10, 0, 0, 24, 0), p);
        r.assertSense(0x5, 0x26, 0x00);
        r.assertFieldPointer(false, 6, 0);
        byte[] badLength = cachingSelect6(true);
        badLength[5] = 0x10;
        h.exec(cdb(0x15, 0x10, 0, 0, 24, 0), badLength).assertSense(0x5, 0x26, 0x00);
        byte[] unknownPage = cachingSelect6(true);
        unknownPage[4] = 0x1C;
        h.exec(cdb(0x15, 0x10, 0, 0, 24, 0), unknownPage).assertSense(0x5, 0x26, 0x00);
        // A list that ends inside a page.
        h.exec(cdb(0x15, 0x10, 0, 0, 10, 0), Arrays.copyOf(cachingSelect6(false), 10)).assertSense(0x5, 0x1A, 0x00);
        // A list shorter than the CDB says.
        h.exec(cdb(0x15, 0x10, 0, 0, 24, 0), Arrays.copyOf(cachingSelect6(false), 12)).assertSense(0x5, 0x1A, 0x00);
        h.exec(cdb(0x15, 0x11, 0, 0, 24, 0), cachingSelect6(false)).assertInvalidCdbField(1, 0); // SP
        h.exec(cdb(0x15, 0x00, 0, 0, 24, 0), cachingSelect6(false)).assertInvalidCdbField(1, 4); // PF = 0
        byte[] resize = new byte[4 + 8];
        resize[3] = 8;
        Cdb.putInt(resize, 4, 5);
        Cdb.putInt(resize, 8, 512);
        h.exec(cdb(0x15, 0x10, 0, 0, 12, 0), resize).assertSense(0x5, 0x26, 0x00);
        assertEquals(0x04, sense6(0x08, 0xFF)[14] & 0x04, "nothing was applied");
        h.exec(cdb(0x15, 0x10, 0, 0, 0, 0), null).assertGood(); // empty list
    }
}

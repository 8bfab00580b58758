package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InquiryCommandsTest {

    private final Harness h = new Harness();

    @AfterEach
    void close() {
        h.close();
    }

    private static String ascii(byte[] d, int from, int to) {
        return new String(d, from, to - from, StandardCharsets.US_ASCII);
    }

    @Test
    void standardInquiry() {
        Harness.Result r = h.exec(cdb(0x12, 0, 0, 0, 0xFF, 0));
        r.assertGood();
        byte[] d = r.data();
        assertEquals(96, d.length);
        assertEquals(0x00, d[0], "qualifier 000b, direct access");
        assertEquals(0x06, d[2], "SPC-4 (see InquiryCommands.SPC_VERSION)");
        assertEquals(0x12, d[3], "HISUP + response data format 2");
        assertEquals(91, d[4], "additional length");
        assertEquals(0x02, d[7], "CMDQUE");
        assertEquals("PMTARGET", ascii(d, 8, 16));
        assertEquals("test disk       ", ascii(d, 16, 32));
        assertEquals("0001", ascii(d, 32, 36));
        assertEquals(0x05C0, Cdb.u16(d, 60), "SPC-5 version descriptor");
        assertEquals(0x04C0, Cdb.u16(d, 66), "SBC-3 version descriptor");
    }

    @Test
    void inquiryHonoursAllocationLength() {
        Harness.Result r = h.exec(cdb(0x12, 0, 0, 0, 5, 0));
        r.assertGood();
        assertEquals(5, r.data().length);
        Harness.Result none = h.exec(cdb(0x12, 0, 0, 0, 0, 0));
        none.assertGood();
        assertNull(none.data());
    }

    @Test
    void inquiryOfMissingLunHasQualifier011() {
        Harness.Result r = h.exec(Harness.NEXUS_A, 7, cdb(0x12, 0, 0, 0, 96, 0), null, 96);
        r.assertGood();
        assertEquals(0x7F, r.data()[0] & 0xFF);
    }

    @Test
    void otherCommandsToMissingLunFailWithLuNotSupported() {
        h.exec(Harness.NEXUS_A, 7, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x5, 0x25, 0x00);
        h.exec(Harness.NEXUS_A, 7, Harness.read10(0, 1, 0), null, 512).assertSense(0x5, 0x25, 0x00);
        h.exec(Harness.NEXUS_A, 7, cdb(0xFF, 0, 0, 0, 0, 0), null, 0).assertSense(0x5, 0x25, 0x00);
    }

    @Test
    void inquiryBadFields() {
        h.exec(cdb(0x12, 0, 0x80, 0, 0xFF, 0)).assertInvalidCdbField(2, 7); // page code without EVPD
        h.exec(cdb(0x12, 0x02, 0, 0, 0xFF, 0)).assertInvalidCdbField(1, 1); // CMDDT (obsolete)
        h.exec(cdb(0x12, 1, 0x55, 0, 0xFF, 0)).assertInvalidCdbField(2, 7); // unknown VPD page
        h.exec(cdb(0x12, 0, 0, 0, 0xFF, 0x04)).assertInvalidCdbField(5, 2); // NACA not supported
    }

    @Test
    void supportedVpdPages() {
        Harness.Result r = h.exec(cdb(0x12, 1, 0x00, 0, 0xFF, 0));
        r.assertGood();
        assertArrayEquals(cdb(0, 0, 0, 6, 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2), r.data());
        for (int page : InquiryCommands.SUPPORTED_VPD_PAGES) {
            Harness.Result p = h.exec(cdb(0x12, 1, page, 0, 0xFF, 0));
            p.assertGood();
            assertEquals(page, p.data()[1] & 0xFF);
            assertEquals(p.data().length - 4, Cdb.u16(p.data(), 2), "page length of " + page);
        }
    }

    @Test
    void unitSerialNumber() {
        Harness.Result r = h.exec(cdb(0x12, 1, 0x80, 0, 0xFF, 0));
        r.assertGood();
        assertEquals("SN0001", ascii(r.data(), 4, r.data().length));
    }

    @Test
    void deviceIdentificationDescriptors() {
        Harness.Result r = h.exec(cdb(0x12, 1, 0x83, 0, 0xFF, 0));
        r.assertGood();
        byte[] d = r.data();
        int p = 4;
        // NAA, LU association, binary: NAA 3 (locally assigned), stable for (target, lun).
        assertEquals(0x01, d[p]);
        assertEquals(0x03, d[p + 1]);
        assertEquals(8, d[p + 3]);
        assertEquals(0x30, d[p + 4] & 0xF0);
        assertArrayEquals(LogicalUnit.naaIdentifier(Harness.TARGET, 0), Arrays.copyOfRange(d, p + 4, p + 12));
        assertTrue(!Arrays.equals(LogicalUnit.naaIdentifier(Harness.TARGET, 0), LogicalUnit.naaIdentifier(Harness.TARGET, 1)));
        p += 12;
        assertEquals(0x02, d[p]);
        assertEquals(0x01, d[p + 1]);
        assertEquals("PMTARGET", ascii(d, p + 4, p + 12));
        p += 4 + d[p + 3];
        assertEquals(0x51, d[p] & 0xFF, "iSCSI, binary");
        assertEquals(0x94, d[p + 1] & 0xFF, "PIV, target port, relative target port");
        assertEquals(1, Cdb.u16(d, p + 6));
        p += 8;
        assertEquals(0x95, d[p + 1] & 0xFF, "target port group");
        p += 8;
        assertEquals(0x53, d[p] & 0xFF, "iSCSI, UTF-8");
        assertEquals(0x98, d[p + 1] & 0xFF, "SCSI name string of the target port");
        int len = d[p + 3];
        assertEquals(0, len % 4);
        String name = ascii(d, p + 4, p + 4 + len);
        assertTrue(name.startsWith(Harness.TARGET + ",t,0x0001\0"), name);
        assertEquals(d.length, p + 4 + len);
    }

    @Test
    void blockLimits() {
        Harness.Result r = h.exec(cdb(0x12, 1, 0xB0, 0, 0xFF, 0));
        r.assertGood();
        byte[] d = r.data();
        assertEquals(64, d.length);
        assertEquals(0x3C, Cdb.u16(d, 2));
        assertEquals(1, d[4] & 1, "WSNZ");
        assertEquals(255, d[5] & 0xFF, "max compare and write length");
        assertEquals(Harness.MAX_DATA_OUT / 512, Cdb.u32(d, 8), "max transfer length from the transport");
        assertEquals(InquiryCommands.MAX_UNMAP_LBA_COUNT, Cdb.u32(d, 20));
        assertEquals(InquiryCommands.MAX_UNMAP_DESCRIPTORS, Cdb.u32(d, 24));
        assertEquals(InquiryCommands.MAX_WRITE_SAME_BLOCKS, Cdb.u64(d, 36));
    }

    @Test
    void characteristicsAndProvisioning() {
        Harness.Result b1 = h.exec(cdb(0x12, 1, 0xB1, 0, 0xFF, 0));
        assertEquals(1, Cdb.u16(b1.data(), 4), "non-rotating");
        Harness.Result b2 = h.exec(cdb(0x12, 1, 0xB2, 0, 0xFF, 0));
        assertEquals(0xE4, b2.data()[5] & 0xFF, "LBPU LBPWS LBPWS10, LBPRZ 001b");
        try (Harness noZero = new Harness(512, 512, 1 << 20, false)) {
            Harness.Result p = noZero.exec(cdb(0x12, 1, 0xB2, 0, 0xFF, 0));
            assertEquals(0xE0, p.data()[5] & 0xFF, "no LBPRZ when discards do not read zeros");
        }
    }

    @Test
    void reportLunsAtAnyLun() {
        for (long lun : new long[] {0, 5}) {
            Harness.Result r = h.exec(Harness.NEXUS_A, lun, cdb(0xA0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0), null, 256);
            r.assertGood();
            assertArrayEquals(cdb(0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), r.data());
        }
        Harness.Result wellKnown = h.exec(cdb(0xA0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0));
        assertArrayEquals(new byte[8], wellKnown.data());
        h.exec(cdb(0xA0, 0, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0)).assertInvalidCdbField(2, 7);
    }

    @Test
    void testUnitReadyAndNoOps() {
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
        h.exec(cdb(0x1B, 1, 0, 0, 0x01, 0)).assertGood();
        h.exec(cdb(0x1E, 0, 0, 0, 0, 0)).assertGood();
        h.exec(cdb(0x1E, 0, 0, 0, 1, 0)).assertInvalidCdbField(4, 1);
        h.exec(cdb(0x00, 1, 0, 0, 0, 0)).assertInvalidCdbField(1, 0);
    }

    @Test
    void unknownOpcode() {
        h.exec(cdb(0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).assertSense(0x5, 0x20, 0x00);
        // A service action we do not have: INVALID FIELD IN CDB at the SA field.
        h.exec(cdb(0x9E, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)).assertInvalidCdbField(1, 4);
    }

    @Test
    void requestSenseReportsAndClearsUnitAttention() {
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood(); // nexus known to the LU
        Harness.Result none = h.exec(cdb(0x03, 0, 0, 0, 18, 0));
        none.assertGood();
        assertEquals(0x70, none.data()[0]);
        assertEquals(0, none.data()[2]);
        h.target.reset(0, Harness.NEXUS_B, false);
        Harness.Result ua = h.exec(cdb(0x03, 0, 0, 0, 18, 0));
        ua.assertGood();
        assertEquals(0x06, ua.data()[2]);
        assertEquals(0x29, ua.data()[12]);
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood(); // cleared by REQUEST SENSE
        h.exec(cdb(0x03, 1, 0, 0, 18, 0)).assertInvalidCdbField(1, 0); // DESC: fixed format only
    }

    @Test
    void unitAttentionAfterLunResetOnceThenClear() {
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
        h.target.reset(0, Harness.NEXUS_A, false);
        // INQUIRY does not report (or clear) the unit attention (SPC-5 5.14).
        h.exec(cdb(0x12, 0, 0, 0, 96, 0)).assertGood();
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertSense(0x6, 0x29, 0x00);
        h.exec(cdb(0x00, 0, 0, 0, 0, 0)).assertGood();
    }
}

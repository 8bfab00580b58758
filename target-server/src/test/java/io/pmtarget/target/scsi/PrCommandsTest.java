package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.NEXUS_A;
import static io.pmtarget.target.scsi.Harness.NEXUS_B;
import static io.pmtarget.target.scsi.Harness.cdb;
import static io.pmtarget.target.scsi.Harness.read10;
import static io.pmtarget.target.scsi.Harness.write10;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PrCommandsTest {

    private static final ItNexus NEXUS_C = new ItNexus("iqn.2026-11.io.pmtarget:init-c", 3, Harness.TARGET, 1);
    private final Harness h = new Harness();

    @AfterEach
    void close() {
        h.close();
    }

    private Harness.Result out(ItNexus n, int sa, int type, long key, long saKey, int flags) {
        byte[] p = new byte[24];
        Cdb.putLong(p, 0, key);
        Cdb.putLong(p, 8, saKey);
        p[20] = (byte) flags;
        return h.exec(n, 0, cdb(0x5F, sa, type, 0, 0, 0, 0, 0, 24, 0), p, 24);
    }

    private byte[] in(int sa) {
        return in(NEXUS_B, sa);
    }

    private byte[] in(ItNexus n, int sa) {
        Harness.Result r = h.exec(n, 0, cdb(0x5E, sa, 0, 0, 0, 0, 0, 0x10, 0, 0), null, 4096);
        r.assertGood();
        return r.data();
    }

    private static void assertConflict(Harness.Result r) {
        assertEquals(0x18, r.status(), "RESERVATION CONFLICT");
    }

    private int write(ItNexus n) {
        return h.exec(n, 0, write10(0, 1, 0), new byte[512], 512).status();
    }

    private int read(ItNexus n) {
        return h.exec(n, 0, read10(0, 1, 0), null, 512).status();
    }

    @Test
    void registerAndReadKeys() {
        out(NEXUS_A, 0, 0, 0, 0xAAL, 0).assertGood();
        out(NEXUS_B, 0, 0, 0, 0xBBL, 0).assertGood();
        byte[] keys = in(0);
        assertEquals(2, Cdb.u32(keys, 0), "PRgeneration counts registrations");
        assertEquals(16, Cdb.u32(keys, 4));
        assertEquals(0xAAL, Cdb.u64(keys, 8));
        assertEquals(0xBBL, Cdb.u64(keys, 16));
        assertConflict(out(NEXUS_A, 0, 0, 0x99, 0xCC, 0)); // wrong current key
        out(NEXUS_A, 6, 0, 0x99, 0xCC, 0).assertGood();   // REGISTER AND IGNORE EXISTING KEY
        out(NEXUS_A, 0, 0, 0xCC, 0, 0).assertGood();      // unregister
        assertEquals(8, Cdb.u32(in(0), 4));
        assertConflict(out(NEXUS_C, 0, 0, 0x5, 0x6, 0));  // unregistered with a non-zero key
    }

    @Test
    void reportCapabilities() {
        byte[] caps = in(2);
        assertArrayEquals(new byte[] {0, 8, 0, (byte) 0x80, (byte) 0xEA, 0x01, 0, 0}, caps);
    }

    @Test
    void writeExclusiveAllowsOthersToReadOnly() {
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        out(NEXUS_B, 0, 0, 0, 0xB, 0).assertGood();
        out(NEXUS_A, 1, 0x01, 0xA, 0, 0).assertGood(); // WRITE EXCLUSIVE
        byte[] res = in(1);
        assertEquals(16, Cdb.u32(res, 4));
        assertEquals(0xA, Cdb.u64(res, 8));
        assertEquals(0x01, res[21]);
        assertEquals(0, write(NEXUS_A));
        assertEquals(0x18, write(NEXUS_B));
        assertEquals(0, read(NEXUS_B));
        assertEquals(0x18, write(NEXUS_C));
        assertConflict(out(NEXUS_B, 1, 0x01, 0xB, 0, 0)); // someone else holds it
        out(NEXUS_A, 1, 0x01, 0xA, 0, 0).assertGood();    // same holder, same type: no-op
        out(NEXUS_A, 2, 0x03, 0xA, 0, 0).assertSense(0x5, 0x26, 0x04); // release with a wrong type
        out(NEXUS_A, 2, 0x01, 0xA, 0, 0).assertGood();
        assertEquals(0, write(NEXUS_B));
        assertEquals(8, in(1).length);
    }

    @Test
    void exclusiveAccessRegistrantsOnly() {
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        out(NEXUS_B, 0, 0, 0, 0xB, 0).assertGood();
        out(NEXUS_A, 1, 0x06, 0xA, 0, 0).assertGood();
        assertEquals(0, write(NEXUS_B), "registrants may access");
        assertEquals(0x18, read(NEXUS_C), "non-registrants may not even read");
        h.exec(NEXUS_C, 0, cdb(0x12, 0, 0, 0, 96, 0), null, 96).assertGood(); // INQUIRY is always allowed
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        out(NEXUS_B, 0, 0, 0, 0xB, 0).assertGood();
        out(NEXUS_A, 1, 0x03, 0xA, 0, 0).assertGood();
        out(NEXUS_B, 3, 0, 0xB, 0, 0).assertGood();
        h.exec(NEXUS_A, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x6, 0x2A, 0x03);
        assertEquals(8, in(NEXUS_A, 0).length);
        assertEquals(8, in(NEXUS_A, 1).length);
    }

    @Test
    void preemptTakesTheReservation() {
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        out(NEXUS_B, 0, 0, 0, 0xB, 0).assertGood();
        out(NEXUS_A, 1, 0x03, 0xA, 0, 0).assertGood();
        assertEquals(0x18, read(NEXUS_B));
        out(NEXUS_B, 4, 0x01, 0xB, 0xA, 0).assertGood();
        byte[] res = in(1);
        assertEquals(0xB, Cdb.u64(res, 8));
        assertEquals(0x01, res[21]);
        assertEquals(8, Cdb.u32(in(0), 4), "A's registration is gone");
        h.exec(NEXUS_A, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x6, 0x2A, 0x05);
        assertEquals(0x18, write(NEXUS_A));
        assertConflict(out(NEXUS_B, 4, 0x01, 0xB, 0x77, 0)); // no registrant has key 0x77
        out(NEXUS_B, 4, 0x01, 0xB, 0, 0).assertSense(0x5, 0x26, 0x00); // key 0 without an AR reservation
    }

    @Test
    void badParameters() {
        h.exec(NEXUS_A, 0, cdb(0x5F, 0, 0, 0, 0, 0, 0, 0, 20, 0), new byte[20], 20).assertSense(0x5, 0x1A, 0x00);
        Harness.Result aptpl = out(NEXUS_A, 0, 0, 0, 0xA, 0x01);
        aptpl.assertSense(0x5, 0x26, 0x00);
        aptpl.assertFieldPointer(false, 20, 0);
        out(NEXUS_A, 0, 0, 0, 0xA, 0x08).assertSense(0x5, 0x26, 0x00); // SPEC_I_PT
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        out(NEXUS_A, 1, 0x02, 0xA, 0, 0).assertInvalidCdbField(2, 3); // type 2 is obsolete
        out(NEXUS_A, 1, 0x11, 0xA, 0, 0).assertInvalidCdbField(2, 7); // scope other than LU
        h.exec(NEXUS_A, 0, cdb(0x5F, 5, 1, 0, 0, 0, 0, 0, 24, 0), new byte[24], 24).assertInvalidCdbField(1, 4);
        h.exec(NEXUS_A, 0, cdb(0x5E, 3, 0, 0, 0, 0, 0, 0x10, 0, 0), null, 4096).assertInvalidCdbField(1, 4);
    }

    @Test
    void reserve6AcrossTwoInitiators() {
        byte[] reserve6 = cdb(0x16, 0, 0, 0, 0, 0);
        byte[] release6 = cdb(0x17, 0, 0, 0, 0, 0);
        byte[] modeSense = cdb(0x1A, 0, 0x3F, 0, 0xFF, 0);
        h.exec(NEXUS_A, 0, reserve6, null, 0).assertGood();
        h.exec(NEXUS_A, 0, reserve6, null, 0).assertGood();           // re-reserve by the holder
        assertConflict(h.exec(NEXUS_B, 0, reserve6, null, 0));
        h.exec(NEXUS_B, 0, release6, null, 0).assertGood();           // no-op for a non-holder
        h.exec(NEXUS_A, 0, modeSense, null, 255).assertGood();
        assertConflict(h.exec(NEXUS_B, 0, modeSense, null, 255));
        assertEquals(0x18, write(NEXUS_B));
        h.exec(NEXUS_B, 0, cdb(0x12, 0, 0, 0, 96, 0), null, 96).assertGood();
        assertConflict(out(NEXUS_B, 0, 0, 0, 0xB, 0));                // no PR while RESERVE(6) is held
        h.exec(NEXUS_A, 0, release6, null, 0).assertGood();
        h.exec(NEXUS_B, 0, cdb(0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0), null, 0).assertGood(); // RESERVE(10)
        assertEquals(0x18, write(NEXUS_A));
        h.target.reset(0, NEXUS_A, false);                            // LUN reset ends it
        h.exec(NEXUS_A, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x6, 0x29, 0x00);
        assertEquals(0, write(NEXUS_A));
        out(NEXUS_A, 0, 0, 0, 0xA, 0).assertGood();
        h.exec(NEXUS_B, 0, cdb(0x00, 0, 0, 0, 0, 0), null, 0).assertSense(0x6, 0x29, 0x00);
        assertConflict(h.exec(NEXUS_B, 0, reserve6, null, 0));        // registrations block RESERVE(6)
    }

    @Test
    void nexusLossEndsReserve6ButKeepsRegistrations() {
        out(NEXUS_B, 0, 0, 0, 0xB, 0).assertGood();
        h.target.nexusLost(NEXUS_B);
        assertEquals(0xB, Cdb.u64(in(NEXUS_A, 0), 8), "registration survives I_T nexus loss");
        out(NEXUS_B, 0, 0, 0xB, 0, 0).assertGood();                  // unregister again
        h.exec(NEXUS_A, 0, cdb(0x16, 0, 0, 0, 0, 0), null, 0).assertGood();
        assertEquals(0x18, write(NEXUS_B));
        h.target.nexusLost(NEXUS_A);
        assertEquals(0, write(NEXUS_B));
    }
}

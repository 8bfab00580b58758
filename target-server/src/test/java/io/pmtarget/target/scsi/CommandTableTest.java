package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** REPORT SUPPORTED OPERATION CODES against what the dispatcher really accepts. */
class CommandTableTest {

    private final Harness h = new Harness();

    @AfterEach
    void close() {
        h.close();
    }

    private static byte[] rsoc(int options, int opcode, int sa, int alloc) {
        return cdb(0xA3, 0x0C, options, opcode, sa >>> 8, sa & 0xFF, alloc >>> 24, (alloc >>> 16) & 0xFF,
                (alloc >>> 8) & 0xFF, alloc & 0xFF, 0, 0);
    }

    /** Every (opcode, SA) pair the all-commands format lists. */
    private int[][] listed(boolean rctd) {
        Harness.Result r = h.exec(rsoc(rctd ? 0x80 : 0, 0, 0, 65536));
        r.assertGood();
        byte[] d = r.data();
        int length = (int) Cdb.u32(d, 0);
        assertEquals(d.length - 4, length);
        int step = rctd ? 20 : 8;
        assertEquals(0, length % step);
        int[][] out = new int[length / step][];
        for (int i = 0; i < out.length; i++) {
            int p = 4 + i * step;
            boolean servactv = (d[p + 5] & 1) != 0;
            assertEquals(rctd ? 2 : 0, d[p + 5] & 2, "CTDP");
            if (rctd) {
                assertEquals(10, Cdb.u16(d, p + 8), "command timeouts descriptor length");
            }
            out[i] = new int[] {d[p] & 0xFF, servactv ? Cdb.u16(d, p + 2) : -1, Cdb.u16(d, p + 6)};
        }
        return out;
    }

    @Test
    void allCommandsListMatchesTheTable() {
        int[][] listed = listed(false);
        assertEquals(CommandTable.all().size(), listed.length);
        Set<String> seen = new HashSet<>();
        for (int[] c : listed) {
            assertTrue(seen.add(c[0] + "/" + c[1]), "listed once");
            CommandTable.Spec s = CommandTable.find(c[0], c[1]);
            assertEquals(c[2], s.cdbLength());
        }
        assertEquals(listed.length, listed(true).length);
    }

    /**
     * For every listed command: the one-command usage map is reported, and setting any CDB bit the
     * map marks unused gets INVALID FIELD IN CDB pointing exactly at that bit.
     */
    @Test
    void usageMapsMatchWhatTheDispatcherRejects() {
        for (int[] c : listed(false)) {
            int opcode = c[0];
            int sa = c[1];
            Harness.Result one = h.exec(rsoc(sa < 0 ? 1 : 2, opcode, Math.max(sa, 0), 512));
            one.assertGood();
            byte[] d = one.data();
            assertEquals(0x03, d[1] & 0x07, "SUPPORT: supported");
            int n = Cdb.u16(d, 2);
            assertEquals(c[2], n);
            byte[] usage = java.util.Arrays.copyOfRange(d, 4, 4 + n);
            assertEquals(opcode, usage[0] & 0xFF);
            if (sa >= 0) {
                assertEquals(sa, usage[1] & 0x1F, "service action in the usage data");
            }
            for (int i = 1; i < n; i++) {
                int allowed = usage[i] & 0xFF;
                if (sa >= 0 && i == 1) {
                    allowed |= 0x1F;
                }
                for (int bit = 0; bit < 8; bit++) {
                    if ((allowed & (1 << bit)) != 0) {
                        continue;
                    }
                    byte[] probe = new byte[n];
                    probe[0] = (byte) opcode;
                    if (sa >= 0) {
                        probe[1] = (byte) sa;
                    }
                    probe[i] |= (byte) (1 << bit);
                    Harness.Result r = h.exec(Harness.NEXUS_A, 0, probe, new byte[0], 0);
                    assertEquals(2, r.status(), String.format("opcode %02x sa %d byte %d bit %d", opcode, sa, i, bit));
                    r.assertInvalidCdbField(i, bit);
                }
            }
        }
    }

    @Test
    void oneCommandFormats() {
        Harness.Result unsupported = h.exec(rsoc(1, 0xC5, 0, 512));
        unsupported.assertGood();
        assertArrayEquals(new byte[] {0, 1, 0, 0}, unsupported.data());
        // READ(10) has no service actions: option 2 is invalid; opcode 0x9E has them: option 1 is.
        h.exec(rsoc(2, 0x28, 0, 512)).assertInvalidCdbField(2, 2);
        h.exec(rsoc(1, 0x9E, 0, 512)).assertInvalidCdbField(2, 2);
        Harness.Result rc16 = h.exec(rsoc(2, 0x9E, 0x10, 512));
        assertEquals(3, rc16.data()[1] & 7);
        Harness.Result unknownSa = h.exec(rsoc(2, 0x9E, 0x11, 512));
        assertEquals(1, unknownSa.data()[1] & 7);
        Harness.Result withTimeouts = h.exec(rsoc(0x81, 0x28, 0, 512));
        assertEquals(0x80, withTimeouts.data()[1] & 0x80, "CTDP");
        assertEquals(4 + 10 + 12, withTimeouts.data().length);
        h.exec(rsoc(4, 0x28, 0, 512)).assertInvalidCdbField(2, 2);
        assertEquals(20, h.exec(rsoc(0, 0, 0, 20)).data().length, "allocation length truncates");
    }

    @Test
    void opcodesNotListedAreRejected() {
        Set<Integer> listedOpcodes = new HashSet<>();
        for (int[] c : listed(false)) {
            listedOpcodes.add(c[0]);
        }
        for (int opcode = 0; opcode < 256; opcode++) {
            if (listedOpcodes.contains(opcode)) {
                continue;
            }
            byte[] probe = new byte[16];
            probe[0] = (byte) opcode;
            Harness.Result r = h.exec(Harness.NEXUS_A, 0, probe, null, 0);
            r.assertSense(0x5, 0x20, 0x00);
        }
        assertNotEquals(0, listedOpcodes.size());
    }

    @Test
    void inlineVariantsAreOnTheHotPathEntriesOnly() {
        Set<Integer> inlineOpcodes = new HashSet<>();
        for (CommandTable.Spec s : CommandTable.all()) {
            if (s.inline() != null) {
                assertTrue(s.io() && s.serviceAction() < 0, s.name());
                assertSame(s, CommandTable.find(s.opcode(), -1), s.name() + ": the looked-up entry has it");
                inlineOpcodes.add(s.opcode());
            }
        }
        // READ(6/10/12/16), WRITE(6/10/12/16), SYNCHRONIZE CACHE(10/16).
        assertEquals(Set.of(0x08, 0x28, 0xA8, 0x88, 0x0A, 0x2A, 0xAA, 0x8A, 0x35, 0x91), inlineOpcodes);
    }
}

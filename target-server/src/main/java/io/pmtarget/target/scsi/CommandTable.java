package io.pmtarget.target.scsi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Every command this target accepts, with its CDB usage map. The usage map is used twice, so it
 * cannot drift: {@link BlockScsiTarget} rejects any CDB bit outside it with INVALID FIELD IN CDB
 * (pointing at the byte and bit: SAM-5 5.2 and SPC-5 4.3.1 allow checking reserved fields, and NACA
 * or LINK in the control byte must be rejected when unsupported), and REPORT SUPPORTED OPERATION
 * CODES (SPC-5 6.34) reports exactly this map.
 */
final class CommandTable {

    /** Runs one command. Throws {@link ScsiException} for CHECK CONDITION. */
    @FunctionalInterface
    interface Handler {
        ScsiResponse run(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request);
    }

    /** How a command meets persistent reservations (SPC-5 5.13.1 table 60). */
    enum Access { NONE, READ, WRITE }

    /**
     * @param serviceAction SA value in CDB byte 1 bits 4..0, or -1
     * @param usage         CDB usage map (byte 0 = opcode; SA bits set; length = CDB length)
     * @param io            true: runs on the LU executor (it may touch the volume; MODE SELECT may
     *                      flush when WCE goes to 0); false: completes inline on the caller
     * @param uaExempt      INQUIRY, REPORT LUNS and REQUEST SENSE do not report unit attentions (SPC-5 5.14)
     * @param inline        for io commands, or null: a variant that never blocks, tried first on the
     *                      caller's thread (the event loop); it returns null to decline, and then
     *                      {@code handler} runs on the LU executor. Saves two thread hand-offs per command.
     */
    record Spec(int opcode, int serviceAction, String name, byte[] usage, boolean io, boolean uaExempt,
                Access access, Handler handler, Handler inline) {
        int cdbLength() {
            return usage.length;
        }
    }

    static final int SA_MASK = 0x1F;
    private static final Spec[] BY_OPCODE = new Spec[256];
    private static final List<Spec> SA_SPECS = new ArrayList<>();
    private static final List<Spec> ALL = new ArrayList<>();
    /** Opcodes that have service actions (their SA field is checked against {@link #SA_SPECS}). */
    private static final boolean[] HAS_SA = new boolean[256];

    static {
        // SPC-5 commands.
        add(0x00, -1, "TEST UNIT READY", false, false, Access.NONE, InquiryCommands::testUnitReady,
                0x00, 0, 0, 0, 0, 0);
        add(0x03, -1, "REQUEST SENSE", false, true, Access.NONE, InquiryCommands::requestSense,
                0x03, 0, 0, 0, 0xFF, 0);
        add(0x12, -1, "INQUIRY", false, true, Access.NONE, InquiryCommands::inquiry,
                0x12, 0x01, 0xFF, 0xFF, 0xFF, 0);
        add(0xA0, -1, "REPORT LUNS", false, true, Access.NONE, InquiryCommands::reportLuns,
                0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
        add(0x1A, -1, "MODE SENSE(6)", false, false, Access.NONE, ModeCommands::modeSense6,
                0x1A, 0x08, 0xFF, 0xFF, 0xFF, 0);
        add(0x5A, -1, "MODE SENSE(10)", false, false, Access.NONE, ModeCommands::modeSense10,
                0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0);
        add(0x15, -1, "MODE SELECT(6)", true, false, Access.WRITE, ModeCommands::modeSelect6,
                0x15, 0x11, 0, 0, 0xFF, 0);
        add(0x55, -1, "MODE SELECT(10)", true, false, Access.WRITE, ModeCommands::modeSelect10,
                0x55, 0x11, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0);
        add(0xA3, 0x0C, "REPORT SUPPORTED OPERATION CODES", false, false, Access.NONE, CommandTable::reportOpcodes,
                0xA3, 0x0C, 0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
        add(0x5E, 0x00, "PERSISTENT RESERVE IN/READ KEYS", false, false, Access.NONE, PrCommands::reserveIn,
                0x5E, 0x00, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0);
        add(0x5E, 0x01, "PERSISTENT RESERVE IN/READ RESERVATION", false, false, Access.NONE, PrCommands::reserveIn,
                0x5E, 0x01, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0);
        add(0x5E, 0x02, "PERSISTENT RESERVE IN/REPORT CAPABILITIES", false, false, Access.NONE, PrCommands::reserveIn,
                0x5E, 0x02, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0);
        add(0x5E, 0x03, "PERSISTENT RESERVE IN/READ FULL STATUS", false, false, Access.NONE, PrCommands::reserveIn,
                0x5E, 0x03, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0);
        for (int sa = 0; sa <= 6; sa++) {
            if (sa == 5) {
                continue; // PREEMPT AND ABORT: aborting other nexuses' tasks is not wired to the transport
            }
            // io = true: with APTPL the state file is written and fsynced, never on the event loop.
            add(0x5F, sa, "PERSISTENT RESERVE OUT/" + PrCommands.OUT_NAMES[sa], true, false, Access.NONE,
                    PrCommands::reserveOut, 0x5F, sa, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0);
        }
        add(0x16, -1, "RESERVE(6)", false, false, Access.NONE, PrCommands::reserve6, 0x16, 0, 0, 0, 0, 0);
        add(0x17, -1, "RELEASE(6)", false, false, Access.NONE, PrCommands::release6, 0x17, 0, 0, 0, 0, 0);
        add(0x56, -1, "RESERVE(10)", false, false, Access.NONE, PrCommands::reserve6, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        add(0x57, -1, "RELEASE(10)", false, false, Access.NONE, PrCommands::release6, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        // SBC-4 commands.
        add(0x25, -1, "READ CAPACITY(10)", false, false, Access.NONE, BlockCommands::readCapacity10,
                0x25, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x01, 0);
        add(0x9E, 0x10, "READ CAPACITY(16)", false, false, Access.NONE, BlockCommands::readCapacity16,
                0x9E, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0);
        // GET LBA STATUS(16): REPORT TYPE (byte 14) must be 0, all LBAs (the only report we produce).
        add(0x9E, 0x12, "GET LBA STATUS(16)", false, false, Access.READ, ProvisioningCommands::getLbaStatus,
                0x9E, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0);
        addInline(0x08, "READ(6)", Access.READ, BlockCommands::read, BlockCommands::tryRead,
                0x08, 0x1F, 0xFF, 0xFF, 0xFF, 0);
        addInline(0x28, "READ(10)", Access.READ, BlockCommands::read, BlockCommands::tryRead,
                0x28, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        addInline(0xA8, "READ(12)", Access.READ, BlockCommands::read, BlockCommands::tryRead,
                0xA8, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        addInline(0x88, "READ(16)", Access.READ, BlockCommands::read, BlockCommands::tryRead,
                0x88, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        addInline(0x0A, "WRITE(6)", Access.WRITE, BlockCommands::write, BlockCommands::tryWrite,
                0x0A, 0x1F, 0xFF, 0xFF, 0xFF, 0);
        addInline(0x2A, "WRITE(10)", Access.WRITE, BlockCommands::write, BlockCommands::tryWrite,
                0x2A, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        addInline(0xAA, "WRITE(12)", Access.WRITE, BlockCommands::write, BlockCommands::tryWrite,
                0xAA, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        addInline(0x8A, "WRITE(16)", Access.WRITE, BlockCommands::write, BlockCommands::tryWrite,
                0x8A, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0x2E, -1, "WRITE AND VERIFY(10)", true, false, Access.WRITE, BlockCommands::writeAndVerify,
                0x2E, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        add(0x8E, -1, "WRITE AND VERIFY(16)", true, false, Access.WRITE, BlockCommands::writeAndVerify,
                0x8E, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0xAE, -1, "WRITE AND VERIFY(12)", true, false, Access.WRITE, BlockCommands::writeAndVerify,
                0xAE, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0xAF, -1, "VERIFY(12)", true, false, Access.READ, BlockCommands::verify,
                0xAF, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0x34, -1, "PRE-FETCH(10)", false, false, Access.READ, BlockCommands::preFetch,
                0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        add(0x90, -1, "PRE-FETCH(16)", false, false, Access.READ, BlockCommands::preFetch,
                0x90, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0x2F, -1, "VERIFY(10)", true, false, Access.READ, BlockCommands::verify,
                0x2F, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        add(0x8F, -1, "VERIFY(16)", true, false, Access.READ, BlockCommands::verify,
                0x8F, 0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        addInline(0x35, "SYNCHRONIZE CACHE(10)", Access.WRITE, BlockCommands::synchronizeCache,
                BlockCommands::trySynchronizeCache,
                0x35, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        addInline(0x91, "SYNCHRONIZE CACHE(16)", Access.WRITE, BlockCommands::synchronizeCache,
                BlockCommands::trySynchronizeCache,
                0x91, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0x42, -1, "UNMAP", true, false, Access.WRITE, ProvisioningCommands::unmap,
                0x42, 0, 0, 0, 0, 0, 0x3F, 0xFF, 0xFF, 0);
        add(0x41, -1, "WRITE SAME(10)", true, false, Access.WRITE, ProvisioningCommands::writeSame,
                0x41, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0xFF, 0xFF, 0);
        add(0x93, -1, "WRITE SAME(16)", true, false, Access.WRITE, ProvisioningCommands::writeSame,
                0x93, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F, 0);
        add(0x89, -1, "COMPARE AND WRITE", true, false, Access.WRITE, ProvisioningCommands::compareAndWrite,
                0x89, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0x3F, 0);
        add(0x1B, -1, "START STOP UNIT", false, false, Access.NONE, InquiryCommands::startStopUnit,
                0x1B, 0x01, 0, 0x0F, 0xF7, 0);
        add(0x1E, -1, "PREVENT ALLOW MEDIUM REMOVAL", false, false, Access.NONE, InquiryCommands::preventAllow,
                0x1E, 0, 0, 0, 0x03, 0);
    }

    private CommandTable() {
    }

    private static void add(int opcode, int serviceAction, String name, boolean io, boolean uaExempt,
                            Access access, Handler handler, int... usage) {
        add(opcode, serviceAction, name, io, uaExempt, access, handler, null, usage);
    }

    /**
     * The hot path: an io command without service action (READ, WRITE, SYNCHRONIZE CACHE) that runs
     * on the event loop through {@code inline} when the cache needs no wait, else {@code handler}.
     */
    private static void addInline(int opcode, String name, Access access, Handler handler, Handler inline,
                                  int... usage) {
        assert inline != null : name;
        add(opcode, -1, name, true, false, access, handler, inline, usage);
    }

    private static void add(int opcode, int serviceAction, String name, boolean io, boolean uaExempt,
                            Access access, Handler handler, Handler inline, int... usage) {
        assert inline == null || io : name + ": only io commands have an inline variant";
        byte[] u = new byte[usage.length];
        for (int i = 0; i < usage.length; i++) {
            u[i] = (byte) usage[i];
        }
        assert (u[0] & 0xFF) == opcode;
        Spec spec = new Spec(opcode, serviceAction, name, u, io, uaExempt, access, handler, inline);
        ALL.add(spec);
        if (serviceAction < 0) {
            assert BY_OPCODE[opcode] == null && !HAS_SA[opcode] : name;
            BY_OPCODE[opcode] = spec;
        } else {
            assert BY_OPCODE[opcode] == null : name;
            HAS_SA[opcode] = true;
            SA_SPECS.add(spec);
        }
    }

    static List<Spec> all() {
        return Collections.unmodifiableList(ALL);
    }

    static boolean hasServiceActions(int opcode) {
        return HAS_SA[opcode & 0xFF];
    }

    /** The spec for an opcode without service actions, or of (opcode, sa); null if unsupported. */
    static Spec find(int opcode, int serviceAction) {
        opcode &= 0xFF;
        if (!HAS_SA[opcode]) {
            return BY_OPCODE[opcode];
        }
        for (int i = 0; i < SA_SPECS.size(); i++) {
            Spec s = SA_SPECS.get(i);
            if (s.opcode == opcode && s.serviceAction == serviceAction) {
                return s;
            }
        }
        return null;
    }

    /**
     * Looks a CDB up and checks it against the usage map.
     *
     * @throws ScsiException INVALID OPERATION CODE, or INVALID FIELD IN CDB for an unsupported service
     *                       action or any bit outside the usage map
     */
    static Spec lookup(byte[] cdb) {
        int opcode = cdb[0] & 0xFF;
        Spec spec;
        if (HAS_SA[opcode]) {
            spec = find(opcode, cdb.length > 1 ? cdb[1] & SA_MASK : -1);
            if (spec == null) {
                throw ScsiException.cdb(1, 4);
            }
        } else {
            spec = BY_OPCODE[opcode];
            if (spec == null) {
                throw ScsiException.of(SenseCode.INVALID_OPERATION_CODE);
            }
        }
        byte[] usage = spec.usage;
        if (cdb.length < usage.length) {
            // The transport hands us fewer bytes than the opcode's group defines.
            throw ScsiException.cdb(cdb.length - 1, ScsiException.NONE);
        }
        for (int i = 1; i < usage.length; i++) {
            int bad = cdb[i] & ~usage[i] & 0xFF;
            if (bad != 0) {
                throw ScsiException.cdb(i, 31 - Integer.numberOfLeadingZeros(bad));
            }
        }
        return spec;
    }

    /** REPORT SUPPORTED OPERATION CODES (SPC-5 6.34). */
    static ScsiResponse reportOpcodes(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        boolean rctd = (cdb[2] & 0x80) != 0;
        int options = cdb[2] & 0x07;
        int requestedOpcode = cdb[3] & 0xFF;
        int requestedSa = Cdb.u16(cdb, 4);
        long allocationLength = Cdb.u32(cdb, 6);
        byte[] out;
        switch (options) {
            case 0:
                out = allCommands(rctd);
                break;
            case 1:
                if (HAS_SA[requestedOpcode]) {
                    throw ScsiException.cdb(2, 2);
                }
                out = oneCommand(BY_OPCODE[requestedOpcode], -1, rctd);
                break;
            case 2:
                if (!HAS_SA[requestedOpcode] && BY_OPCODE[requestedOpcode] != null) {
                    throw ScsiException.cdb(2, 2);
                }
                out = oneCommand(requestedSa > SA_MASK ? null : find(requestedOpcode, requestedSa), requestedSa, rctd);
                break;
            case 3:
                Spec s = HAS_SA[requestedOpcode] ? (requestedSa > SA_MASK ? null : find(requestedOpcode, requestedSa))
                        : BY_OPCODE[requestedOpcode];
                out = oneCommand(s, HAS_SA[requestedOpcode] ? requestedSa : -1, rctd);
                break;
            default:
                throw ScsiException.cdb(2, 2);
        }
        return target.dataIn(out, out.length, allocationLength);
    }

    private static final int TIMEOUTS_DESCRIPTOR_BYTES = 12;

    private static byte[] allCommands(boolean rctd) {
        int descriptorBytes = 8 + (rctd ? TIMEOUTS_DESCRIPTOR_BYTES : 0);
        byte[] out = new byte[4 + ALL.size() * descriptorBytes];
        Cdb.putInt(out, 0, out.length - 4);
        int p = 4;
        for (Spec s : ALL) {
            out[p] = (byte) s.opcode;
            if (s.serviceAction >= 0) {
                Cdb.putShort(out, p + 2, s.serviceAction);
            }
            out[p + 5] = (byte) ((rctd ? 0x02 : 0) | (s.serviceAction >= 0 ? 0x01 : 0)); // CTDP, SERVACTV
            Cdb.putShort(out, p + 6, s.cdbLength());
            if (rctd) {
                Cdb.putShort(out, p + 8, TIMEOUTS_DESCRIPTOR_BYTES - 2); // timeouts left 0: not specified
            }
            p += descriptorBytes;
        }
        assert p == out.length;
        return out;
    }

    private static byte[] oneCommand(Spec s, int serviceAction, boolean rctd) {
        if (s == null) {
            return new byte[] {0, 0x01, 0, 0}; // SUPPORT 001b: not supported
        }
        int n = s.cdbLength();
        byte[] out = new byte[4 + n + (rctd ? TIMEOUTS_DESCRIPTOR_BYTES : 0)];
        out[1] = (byte) ((rctd ? 0x80 : 0) | 0x03); // CTDP, SUPPORT 011b: supported as the standard says
        Cdb.putShort(out, 2, n);
        System.arraycopy(s.usage, 0, out, 4, n);
        if (s.serviceAction >= 0) {
            assert serviceAction == s.serviceAction;
            out[5] = (byte) ((s.usage[1] & ~SA_MASK) | s.serviceAction);
        }
        if (rctd) {
            Cdb.putShort(out, 4 + n, TIMEOUTS_DESCRIPTOR_BYTES - 2);
        }
        return out;
    }
}

package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/** PERSISTENT RESERVE IN / OUT (SPC-5 6.15, 6.16): CDB and parameter parsing over {@link Reservations}. */
final class PrCommands {

    static final String[] OUT_NAMES = {"REGISTER", "RESERVE", "RELEASE", "CLEAR", "PREEMPT",
        "PREEMPT AND ABORT", "REGISTER AND IGNORE EXISTING KEY"};
    /** PR OUT basic parameter list (SPC-5 6.16.3) without SPEC_I_PT. */
    static final int OUT_PARAMETER_BYTES = 24;

    private PrCommands() {
    }

    static ScsiResponse reserveIn(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int allocationLength = Cdb.u16(cdb, 7);
        Reservations r = lu.reservations;
        byte[] out;
        switch (cdb[1] & CommandTable.SA_MASK) {
            case 0: { // READ KEYS
                long[] keys;
                int generation;
                synchronized (r) {
                    keys = r.registeredKeys();
                    generation = r.generation();
                }
                out = new byte[8 + 8 * keys.length];
                Cdb.putInt(out, 0, generation);
                Cdb.putInt(out, 4, 8 * keys.length);
                for (int i = 0; i < keys.length; i++) {
                    Cdb.putLong(out, 8 + 8 * i, keys[i]);
                }
                break;
            }
            case 1: { // READ RESERVATION
                long[] res;
                int generation;
                synchronized (r) {
                    res = r.reservation();
                    generation = r.generation();
                }
                out = new byte[res == null ? 8 : 24];
                Cdb.putInt(out, 0, generation);
                if (res != null) {
                    Cdb.putInt(out, 4, 16);
                    Cdb.putLong(out, 8, res[1]);
                    out[21] = (byte) res[0]; // SCOPE 0h (LU_SCOPE), TYPE
                }
                break;
            }
            case 2: // REPORT CAPABILITIES
                out = new byte[8];
                Cdb.putShort(out, 0, 8);
                // CRH 0, SIP_C 0, ATP_C 0, PTPL_C when a state file exists; TMV 1 with our types; PTPL_A.
                out[2] = (byte) (r.persistCapable() ? 0x01 : 0);
                out[3] = (byte) (0x80 | (r.aptpl() ? 0x01 : 0));
                out[4] = (byte) 0xEA; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
                out[5] = 0x01;        // EX_AC_AR
                break;
            case 3: // READ FULL STATUS
                out = fullStatus(r);
                break;
            default:
                throw new AssertionError("service action not in the command table");
        }
        return target.dataIn(out, out.length, allocationLength);
    }

    /**
     * READ FULL STATUS (SPC-5 6.15.5): one full status descriptor per registration. Registrations
     * are per I_T nexus, so each carries an iSCSI initiator port TransportID (SPC-5 7.6.4.6, format
     * 01b: {@code name,i,0xISID}) and the relative target port identifier we report in VPD 0x83.
     */
    private static byte[] fullStatus(Reservations r) {
        java.util.List<Reservations.Registration> regs;
        int generation;
        synchronized (r) {
            regs = r.registrations();
            generation = r.generation();
        }
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream(64 * regs.size());
        for (Reservations.Registration reg : regs) {
            byte[] transportId = iscsiPortTransportId(reg.nexus());
            byte[] d = new byte[24 + transportId.length];
            Cdb.putLong(d, 0, reg.key());
            d[12] = (byte) (reg.holder() ? 0x01 : 0); // ALL_TG_PT 0, R_HOLDER
            d[13] = (byte) reg.type();                // SCOPE 0h (LU_SCOPE), TYPE (holders only)
            Cdb.putShort(d, 18, VpdPages.relativeTargetPort(reg.nexus()));
            Cdb.putInt(d, 20, transportId.length);
            System.arraycopy(transportId, 0, d, 24, transportId.length);
            body.write(d, 0, d.length);
        }
        byte[] descriptors = body.toByteArray();
        byte[] out = new byte[8 + descriptors.length];
        Cdb.putInt(out, 0, generation);
        Cdb.putInt(out, 4, descriptors.length);
        System.arraycopy(descriptors, 0, out, 8, descriptors.length);
        return out;
    }

    /** iSCSI TransportID, format 01b (initiator port): NUL-terminated name, padded to 4, at least 20 bytes. */
    static byte[] iscsiPortTransportId(ItNexus nexus) {
        byte[] name = nexus.initiatorPortName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int additional = Math.max(20, (name.length + 1 + 3) & ~3);
        byte[] id = new byte[4 + additional];
        id[0] = (byte) (0x40 | 0x05); // FORMAT CODE 01b, PROTOCOL IDENTIFIER 5h (iSCSI)
        Cdb.putShort(id, 2, additional);
        System.arraycopy(name, 0, id, 4, name.length);
        return id;
    }

    static ScsiResponse reserveOut(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int serviceAction = cdb[1] & CommandTable.SA_MASK;
        int scope = (cdb[2] >>> 4) & 0x0F;
        int type = cdb[2] & 0x0F;
        long listLength = Cdb.u32(cdb, 5);
        if (listLength != OUT_PARAMETER_BYTES) {
            throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
        }
        ByteBuf data = request.dataOut();
        if (data == null || data.readableBytes() < OUT_PARAMETER_BYTES) {
            throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
        }
        int base = data.readerIndex();
        long reservationKey = data.getLong(base);
        long serviceActionKey = data.getLong(base + 8);
        int flags = data.getUnsignedByte(base + 20);
        if ((flags & 0x08) != 0) {
            throw ScsiException.param(20, 3); // SPEC_I_PT: not supported (SIP_C = 0)
        }
        if ((flags & 0x04) != 0) {
            throw ScsiException.param(20, 2); // ALL_TG_PT: not supported (ATP_C = 0)
        }
        boolean register = serviceAction == 0 || serviceAction == 6;
        boolean aptplBit = (flags & 0x01) != 0;
        if (aptplBit && register && !lu.reservations.persistCapable()) {
            throw ScsiException.param(20, 0); // APTPL without a state file: not supported (PTPL_C = 0)
        }
        boolean needsType = serviceAction == 1 || serviceAction == 2 || serviceAction == 4;
        if (needsType && scope != 0) {
            throw ScsiException.cdb(2, 7); // only LU_SCOPE
        }
        if (needsType && !Reservations.validType(type)) {
            throw ScsiException.cdb(2, 3);
        }
        ItNexus nexus = request.nexus();
        Reservations r = lu.reservations;
        // One lock across the change and its persistence: no other PR OUT sees a state the file lacks.
        synchronized (r) {
            PrStateFile.State before = r.snapshot();
            boolean beforeAptpl = r.aptpl();
            try {
                switch (serviceAction) {
                    case 0 -> r.register(lu, nexus, reservationKey, serviceActionKey, false);
                    case 1 -> r.reserve(nexus, reservationKey, type);
                    case 2 -> r.release(lu, nexus, reservationKey, type);
                    case 3 -> r.clear(lu, nexus, reservationKey);
                    case 4 -> r.preempt(lu, nexus, reservationKey, serviceActionKey, type);
                    case 6 -> r.register(lu, nexus, reservationKey, serviceActionKey, true);
                    default -> throw new AssertionError("service action not in the command table");
                }
            } catch (Reservations.Conflict c) {
                return BlockScsiTarget.RESERVATION_CONFLICT;
            }
            // SPC-5 6.16.3: APTPL counts only for REGISTER and REGISTER AND IGNORE EXISTING KEY.
            r.persist(before, beforeAptpl, register ? aptplBit : null);
        }
        return BlockScsiTarget.GOOD;
    }

    /** RESERVE(6)/(10) (SPC-2 7.21/7.22), without third-party or extent reservations. */
    static ScsiResponse reserve6(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        try {
            lu.reservations.reserve6(request.nexus());
        } catch (Reservations.Conflict c) {
            return BlockScsiTarget.RESERVATION_CONFLICT;
        }
        return BlockScsiTarget.GOOD;
    }

    static ScsiResponse release6(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        lu.reservations.release6(request.nexus());
        return BlockScsiTarget.GOOD;
    }
}

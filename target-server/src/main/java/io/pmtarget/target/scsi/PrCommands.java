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
                // CRH 0, SIP_C 0, ATP_C 0, PTPL_C 0; TMV 1 with the types we support.
                out[3] = (byte) 0x80;
                out[4] = (byte) 0xEA; // WR_EX_AR, EX_AC_RO, WR_EX_RO, EX_AC, WR_EX
                out[5] = 0x01;        // EX_AC_AR
                break;
            default:
                throw new AssertionError("service action not in the command table");
        }
        return target.dataIn(out, out.length, allocationLength);
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
        if ((flags & 0x01) != 0) {
            throw ScsiException.param(20, 0); // APTPL: not supported (PTPL_C = 0)
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

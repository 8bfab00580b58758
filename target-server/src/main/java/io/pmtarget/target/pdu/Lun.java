package io.pmtarget.target.pdu;

/**
 * The 8-byte SAM LUN field to/from a LUN number (SAM-5 section 4.7). We address up to 16384 LUNs:
 * numbers below 256 use peripheral device addressing (byte 0 = 0, byte 1 = LUN), which is what
 * Linux and libiscsi send; 256..16383 use flat space addressing (byte 0 = 0x40 | high 6 bits).
 */
public final class Lun {
    /** Highest LUN number flat space addressing can carry (14 bits). */
    public static final long LUN_MAX = 0x3fff;
    /** Returned by {@link #decode} for an addressing method we do not serve. */
    public static final long UNSUPPORTED = -1;

    private Lun() {
    }

    /** The LUN number of an 8-byte LUN field, or {@link #UNSUPPORTED}. */
    public static long decode(long field) {
        int byte0 = (int) (field >>> 56) & 0xff;
        int byte1 = (int) (field >>> 48) & 0xff;
        long rest = field & 0x0000_ffff_ffff_ffffL;
        if (rest != 0) {
            return UNSUPPORTED; // a second-level LUN: no hierarchical addressing here
        }
        int method = byte0 >>> 6;
        if (method == 0) {
            // Peripheral device addressing: bits 0..5 of byte 0 are the bus; only bus 0 exists.
            return (byte0 & 0x3f) == 0 ? byte1 : UNSUPPORTED;
        }
        if (method == 1) {
            return ((long) (byte0 & 0x3f) << 8) | byte1;
        }
        return UNSUPPORTED;
    }

    /** The 8-byte LUN field for a LUN number in [0, {@link #LUN_MAX}]. */
    public static long encode(long lun) {
        if (lun < 0 || lun > LUN_MAX) {
            throw new IllegalArgumentException("LUN out of range [0, " + LUN_MAX + "]: " + lun);
        }
        if (lun < 256) {
            return lun << 48;
        }
        return ((0x40L | (lun >>> 8)) << 56) | ((lun & 0xff) << 48);
    }
}

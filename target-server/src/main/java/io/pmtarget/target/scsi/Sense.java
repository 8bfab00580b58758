package io.pmtarget.target.scsi;

/** Fixed-format sense data (SPC-5 4.4.3), the only format this target returns (D_SENSE = 0). */
public final class Sense {

    /** Response code 70h: current error, fixed format. */
    public static final int RESPONSE_CODE_CURRENT_FIXED = 0x70;
    /** 18 bytes: 8 header bytes + ADDITIONAL SENSE LENGTH 10. */
    public static final int FIXED_LENGTH_BYTES = 18;

    public static final int STATUS_GOOD = 0x00;
    public static final int STATUS_CHECK_CONDITION = 0x02;
    public static final int STATUS_RESERVATION_CONFLICT = 0x18;
    public static final int STATUS_TASK_SET_FULL = 0x28;

    private Sense() {
    }

    public static byte[] of(SenseCode code) {
        return build(code, ScsiException.NONE, ScsiException.NONE, false, ScsiException.NONE);
    }

    public static byte[] of(ScsiException e) {
        return build(e.code, e.fieldPointer, e.bitPointer, e.inCdb, e.information);
    }

    static byte[] build(SenseCode code, int fieldPointer, int bitPointer, boolean inCdb, long information) {
        byte[] s = new byte[FIXED_LENGTH_BYTES];
        s[0] = (byte) RESPONSE_CODE_CURRENT_FIXED;
        if (information >= 0) {
            // VALID bit: the INFORMATION field holds a value defined for this sense (SPC-5 4.4.3).
            s[0] |= (byte) 0x80;
            Cdb.putInt(s, 3, (int) information);
        }
        s[2] = (byte) code.senseKey;
        s[7] = (byte) (FIXED_LENGTH_BYTES - 8);
        s[12] = (byte) code.asc;
        s[13] = (byte) code.ascq;
        if (fieldPointer >= 0) {
            assert fieldPointer <= 0xFFFF : fieldPointer;
            // Sense-key specific field pointer (SPC-5 4.4.2.3): SKSV, C/D, BPV + bit pointer.
            int b15 = 0x80 | (inCdb ? 0x40 : 0);
            if (bitPointer >= 0) {
                b15 |= 0x08 | (bitPointer & 0x07);
            }
            s[15] = (byte) b15;
            s[16] = (byte) (fieldPointer >>> 8);
            s[17] = (byte) fieldPointer;
        }
        return s;
    }
}

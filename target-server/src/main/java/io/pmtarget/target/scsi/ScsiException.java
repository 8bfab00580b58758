package io.pmtarget.target.scsi;

/**
 * Ends a command with CHECK CONDITION (or another non-GOOD status). Thrown by command handlers,
 * turned into a {@link ScsiResponse} in one place ({@link BlockScsiTarget}). No stack trace: this is
 * control flow for bad CDBs, which a peer can send at line rate.
 */
public final class ScsiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** No field pointer / bit pointer / information. */
    public static final int NONE = -1;

    public final SenseCode code;
    /** Byte index of the offending field in the CDB or parameter list, or {@link #NONE}. */
    public final int fieldPointer;
    /** Bit index (0..7) inside that byte, or {@link #NONE}. */
    public final int bitPointer;
    /** True when the field pointer indexes the CDB (SPC-5 4.4.3 C/D bit), false for data-out. */
    public final boolean inCdb;
    /** INFORMATION field (e.g. miscompare offset), or {@link #NONE}. */
    public final long information;

    private ScsiException(SenseCode code, int fieldPointer, int bitPointer, boolean inCdb, long information) {
        super(code.name(), null, false, false);
        this.code = code;
        this.fieldPointer = fieldPointer;
        this.bitPointer = bitPointer;
        this.inCdb = inCdb;
        this.information = information;
    }

    public static ScsiException of(SenseCode code) {
        return new ScsiException(code, NONE, NONE, false, NONE);
    }

    /** INVALID FIELD IN CDB pointing at a byte (and, if not {@link #NONE}, a bit) of the CDB. */
    public static ScsiException cdb(int byteIndex, int bitIndex) {
        return new ScsiException(SenseCode.INVALID_FIELD_IN_CDB, byteIndex, bitIndex, true, NONE);
    }

    /** INVALID FIELD IN PARAMETER LIST pointing at a byte (and bit) of the data-out buffer. */
    public static ScsiException param(int byteIndex, int bitIndex) {
        return new ScsiException(SenseCode.INVALID_FIELD_IN_PARAMETER_LIST, byteIndex, bitIndex, false, NONE);
    }

    /** A sense code with the INFORMATION field set (VALID bit on). */
    public static ScsiException withInformation(SenseCode code, long information) {
        return new ScsiException(code, NONE, NONE, false, information);
    }

    @Override
    public String getMessage() {
        return code.name() + (fieldPointer >= 0 ? " at " + (inCdb ? "CDB" : "parameter") + " byte "
                + fieldPointer + (bitPointer >= 0 ? " bit " + bitPointer : "") : "")
                + (information >= 0 ? " information " + information : "");
    }
}

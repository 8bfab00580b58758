package io.pmtarget.target.pdu;

/**
 * iSCSI opcodes (RFC 7143 section 11.1.1, byte 0 bits 2..7 of the BHS). Initiator opcodes are
 * 0x00..0x1f, target opcodes 0x20..0x3f.
 */
public enum Opcode {
    NOP_OUT(0x00),
    SCSI_COMMAND(0x01),
    TASK_MGMT_REQUEST(0x02),
    LOGIN_REQUEST(0x03),
    TEXT_REQUEST(0x04),
    SCSI_DATA_OUT(0x05),
    LOGOUT_REQUEST(0x06),
    SNACK_REQUEST(0x10),
    NOP_IN(0x20),
    SCSI_RESPONSE(0x21),
    TASK_MGMT_RESPONSE(0x22),
    LOGIN_RESPONSE(0x23),
    TEXT_RESPONSE(0x24),
    SCSI_DATA_IN(0x25),
    LOGOUT_RESPONSE(0x26),
    R2T(0x31),
    ASYNC_MESSAGE(0x32),
    REJECT(0x3f);

    /** The six-bit opcode value. */
    public final int code;

    private static final Opcode[] BY_CODE = new Opcode[64];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    Opcode(int code) {
        assert code >= 0 && code < 64 : code;
        this.code = code;
    }

    /** The opcode with this six-bit value, or null for a value RFC 7143 does not define. */
    public static Opcode fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length) {
            throw new IllegalArgumentException("opcode out of 6-bit range: " + code);
        }
        return BY_CODE[code];
    }

    /** True for opcodes only an initiator sends (RFC 7143 section 11.1.1). */
    public boolean isInitiatorOpcode() {
        return code < 0x20;
    }
}

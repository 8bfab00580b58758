package io.pmtarget.target.pdu;

/** Reject PDU reason codes (RFC 7143 section 11.17.1). */
public final class RejectReason {
    private RejectReason() {
    }

    /** A PDU whose data digest failed; the PDU is discarded (RFC 7143 section 7.8). */
    public static final int DATA_DIGEST_ERROR = 0x02;
    /** SNACK Reject (the SNACK cannot be honoured; may be retried). */
    public static final int SNACK_REJECT = 0x03;
    /** Protocol error, e.g. a SNACK at ErrorRecoveryLevel 0 or a segment above the negotiated maximum. */
    public static final int PROTOCOL_ERROR = 0x04;
    /** Command not supported (unknown or unexpected opcode). */
    public static final int COMMAND_NOT_SUPPORTED = 0x05;
    /** Immediate command reject: too many immediate commands. */
    public static final int IMMEDIATE_COMMAND_REJECT = 0x06;
    /** Task in progress. */
    public static final int TASK_IN_PROGRESS = 0x07;
    /** Invalid data ack. */
    public static final int INVALID_DATA_ACK = 0x08;
    /** Invalid PDU field (the Reject's data segment carries the offending header). */
    public static final int INVALID_PDU_FIELD = 0x09;
    /** Long op reject: cannot generate a Target Transfer Tag, out of resources. */
    public static final int OUT_OF_RESOURCES = 0x0a;
    /** Waiting for Logout. */
    public static final int WAITING_FOR_LOGOUT = 0x0c;
}

package io.pmtarget.target.pdu;

/**
 * What {@link PduDecoder} emits instead of a PDU when the bytes are not a PDU it may pass on. The
 * decoder only reports; the login or session handler answers (Reject and/or close), because only
 * it knows StatSN and the phase.
 *
 * @param kind           what went wrong
 * @param bhs            the 48-byte header as received (the Reject data segment, RFC 7143
 *                       section 11.17), or null when the header itself cannot be trusted
 * @param detail         a precise message for the log
 */
public record PduDecodeError(Kind kind, byte[] bhs, String detail) {

    public enum Kind {
        /** Header digest mismatch: nothing in the header can be trusted (RFC 7143 section 7.8). */
        HEADER_DIGEST(true, -1),
        /** Data digest mismatch: the PDU was discarded; answer with a Reject and go on (7.8). */
        DATA_DIGEST(false, RejectReason.DATA_DIGEST_ERROR),
        /** TotalAHSLength above our hard cap. */
        AHS_TOO_LONG(true, RejectReason.PROTOCOL_ERROR),
        /** DataSegmentLength above the MaxRecvDataSegmentLength we declared (13.12). */
        DATA_SEGMENT_TOO_LONG(true, RejectReason.PROTOCOL_ERROR);

        /** The decoder discards all further input; the handler must close the connection. */
        public final boolean fatal;
        /** The Reject reason to send before acting, or -1 when no Reject can be sent. */
        public final int rejectReason;

        Kind(boolean fatal, int rejectReason) {
            this.fatal = fatal;
            this.rejectReason = rejectReason;
        }
    }

    public PduDecodeError {
        if (kind != Kind.HEADER_DIGEST && (bhs == null || bhs.length != Pdu.BHS_LENGTH_BYTES)) {
            throw new IllegalArgumentException(kind + " needs the 48-byte header");
        }
    }
}

package io.pmtarget.target.login;

/**
 * A Text Request that breaks RFC 7143 11.10 (bad bits, unknown TTT, malformed text). The adapter
 * answers with a Reject PDU, reason 0x04 (protocol error), and keeps the connection.
 */
public final class TextProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public TextProtocolException(String message) {
        super(message);
    }
}

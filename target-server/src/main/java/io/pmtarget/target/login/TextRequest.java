package io.pmtarget.target.login;

import java.util.Objects;

/**
 * The fields of a Text Request PDU (RFC 7143 11.10) the text logic needs.
 *
 * @param fin F bit
 * @param cont C bit
 * @param initiatorTaskTag ITT
 * @param targetTransferTag TTT; 0xffffffff starts a new exchange
 * @param data the data segment without padding
 */
public record TextRequest(boolean fin, boolean cont, int initiatorTaskTag, int targetTransferTag,
        byte[] data) {
    public static final int RESERVED_TAG = 0xffffffff;

    public TextRequest {
        Objects.requireNonNull(data, "data");
    }
}

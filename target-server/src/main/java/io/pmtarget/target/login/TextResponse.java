package io.pmtarget.target.login;

import java.util.Objects;

/**
 * The fields of a Text Response PDU (RFC 7143 11.11) decided by the text logic; the caller adds
 * StatSN, ExpCmdSN, MaxCmdSN (and LUN 0).
 *
 * @param fin F bit: this response ends the exchange
 * @param cont C bit: more response text follows
 * @param initiatorTaskTag echoed ITT
 * @param targetTransferTag 0xffffffff when final, else the tag the initiator echoes to continue
 * @param data the text, at most the initiator's MaxRecvDataSegmentLength
 */
public record TextResponse(boolean fin, boolean cont, int initiatorTaskTag, int targetTransferTag,
        byte[] data) {
    public TextResponse {
        Objects.requireNonNull(data, "data");
        if (fin && cont) {
            throw new IllegalArgumentException("F and C may not both be set (RFC 7143 11.11.1)");
        }
        if (fin != (targetTransferTag == TextRequest.RESERVED_TAG)) {
            throw new IllegalArgumentException("TTT is 0xffffffff exactly in a final response");
        }
    }
}

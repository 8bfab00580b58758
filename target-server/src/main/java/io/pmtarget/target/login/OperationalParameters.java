package io.pmtarget.target.login;

import java.util.Objects;

/**
 * The operational parameters in force once login completes (RFC 7143 section 13).
 *
 * @param headerDigest HeaderDigest both directions use
 * @param dataDigest DataDigest both directions use
 * @param initiatorMaxRecvDataSegmentLengthBytes what the initiator can receive: bound for every
 *     data segment we send (Data-In, Text/Login responses, ...)
 * @param targetMaxRecvDataSegmentLengthBytes what we declared: bound for segments we accept
 * @param maxBurstLengthBytes MaxBurstLength
 * @param firstBurstLengthBytes FirstBurstLength (<= MaxBurstLength)
 * @param initialR2T InitialR2T
 * @param immediateData ImmediateData
 * @param maxOutstandingR2T MaxOutstandingR2T
 * @param maxConnections MaxConnections
 * @param defaultTime2WaitSeconds DefaultTime2Wait
 * @param defaultTime2RetainSeconds DefaultTime2Retain
 * @param errorRecoveryLevel always 0 (we negotiate down to 0)
 * @param dataPduInOrder always true
 * @param dataSequenceInOrder always true
 */
public record OperationalParameters(
        Digest headerDigest,
        Digest dataDigest,
        int initiatorMaxRecvDataSegmentLengthBytes,
        int targetMaxRecvDataSegmentLengthBytes,
        int maxBurstLengthBytes,
        int firstBurstLengthBytes,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        int maxConnections,
        int defaultTime2WaitSeconds,
        int defaultTime2RetainSeconds,
        int errorRecoveryLevel,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder) {

    /** RFC 7143 13.12: 8192 bytes until a side declares otherwise. */
    public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH_BYTES = 8192;

    public OperationalParameters {
        Objects.requireNonNull(headerDigest, "headerDigest");
        Objects.requireNonNull(dataDigest, "dataDigest");
        if (firstBurstLengthBytes > maxBurstLengthBytes) {
            throw new IllegalArgumentException("FirstBurstLength " + firstBurstLengthBytes
                    + " > MaxBurstLength " + maxBurstLengthBytes);
        }
        if (errorRecoveryLevel != 0 || !dataPduInOrder || !dataSequenceInOrder) {
            throw new IllegalArgumentException("only ErrorRecoveryLevel=0 with in-order data is "
                    + "supported");
        }
    }
}

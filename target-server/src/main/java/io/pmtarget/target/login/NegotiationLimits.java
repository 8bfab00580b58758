package io.pmtarget.target.login;

import io.pmtarget.target.config.Negotiation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the target accepts in operational negotiation (RFC 7143 section 13), one field per key,
 * built from the config's {@code negotiation { }} block through {@link #fromConfig} or from RFC
 * key names through {@link #fromRfcKeys}. ErrorRecoveryLevel,
 * DataPDUInOrder and DataSequenceInOrder are fixed (0, Yes, Yes): the session layer implements
 * only those.
 *
 * @param headerDigests acceptable HeaderDigest values (RFC 7143 13.1)
 * @param dataDigests acceptable DataDigest values
 * @param maxRecvDataSegmentLengthBytes what we declare we can receive (13.12), 512..2^24-1
 * @param maxBurstLengthBytes our maximum for MaxBurstLength (13.13, result Minimum)
 * @param firstBurstLengthBytes our maximum for FirstBurstLength (13.14, Minimum), <= MaxBurst
 * @param initialR2T our InitialR2T (13.10, result OR): false lets the initiator choose
 * @param immediateData our ImmediateData (13.11, result AND)
 * @param maxOutstandingR2T our maximum R2Ts per task (13.17, Minimum), 1..65535
 * @param maxConnections our maximum connections per session (13.2, Minimum), 1..65535
 * @param defaultTime2WaitSeconds our DefaultTime2Wait (13.15, result Maximum), 0..3600
 * @param defaultTime2RetainSeconds our DefaultTime2Retain (13.16, Minimum), 0..3600
 */
public record NegotiationLimits(
        List<Digest> headerDigests,
        List<Digest> dataDigests,
        int maxRecvDataSegmentLengthBytes,
        int maxBurstLengthBytes,
        int firstBurstLengthBytes,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        int maxConnections,
        int defaultTime2WaitSeconds,
        int defaultTime2RetainSeconds) {

    /** RFC 7143 13.12-13.14: segment and burst lengths are 512..2^24-1. */
    public static final int LENGTH_BYTES_MIN = 512;
    public static final int LENGTH_BYTES_MAX = (1 << 24) - 1;
    public static final int TIME_SECONDS_MAX = 3600;
    public static final int COUNT_MAX = 65535;

    /**
     * The config's defaults ({@code negotiation { }} absent), so login without a config (tests,
     * discovery sessions) negotiates exactly what the shipped server does. Each value's why is in
     * {@code io.pmtarget.target.config.NegotiationReader}, the one place defaults are kept.
     */
    public static final NegotiationLimits DEFAULTS = fromConfig(Negotiation.defaults());

    public NegotiationLimits {
        headerDigests = List.copyOf(headerDigests);
        dataDigests = List.copyOf(dataDigests);
        if (headerDigests.isEmpty() || dataDigests.isEmpty()) {
            throw new IllegalArgumentException("HeaderDigest/DataDigest need at least one value");
        }
        checkRange("MaxRecvDataSegmentLength", maxRecvDataSegmentLengthBytes,
                LENGTH_BYTES_MIN, LENGTH_BYTES_MAX);
        checkRange("MaxBurstLength", maxBurstLengthBytes, LENGTH_BYTES_MIN, LENGTH_BYTES_MAX);
        checkRange("FirstBurstLength", firstBurstLengthBytes, LENGTH_BYTES_MIN, LENGTH_BYTES_MAX);
        if (firstBurstLengthBytes > maxBurstLengthBytes) {
            throw new IllegalArgumentException("FirstBurstLength " + firstBurstLengthBytes
                    + " exceeds MaxBurstLength " + maxBurstLengthBytes + " (RFC 7143 13.14)");
        }
        checkRange("MaxOutstandingR2T", maxOutstandingR2T, 1, COUNT_MAX);
        checkRange("MaxConnections", maxConnections, 1, COUNT_MAX);
        checkRange("DefaultTime2Wait", defaultTime2WaitSeconds, 0, TIME_SECONDS_MAX);
        checkRange("DefaultTime2Retain", defaultTime2RetainSeconds, 0, TIME_SECONDS_MAX);
    }

    /**
     * Limits from config entries spelled as RFC 7143 keys, on top of {@link #DEFAULTS}.
     *
     * @throws IllegalArgumentException naming the key and the bad value, for unknown keys too
     */
    public static NegotiationLimits fromRfcKeys(Map<String, String> keys) {
        Builder b = new Builder(DEFAULTS);
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = Objects.requireNonNull(e.getKey(), "key");
            String value = Objects.requireNonNull(e.getValue(), key).trim();
            try {
                b.set(key, value);
            } catch (TextFormatException ex) {
                throw new IllegalArgumentException(ex.getMessage(), ex);
            }
        }
        return b.build();
    }

    /** The limits of a config {@code negotiation { }} block (already validated by the config reader). */
    public static NegotiationLimits fromConfig(Negotiation n) {
        return new NegotiationLimits(digests(n.headerDigests()), digests(n.dataDigests()),
                n.maxRecvDataSegmentLengthBytes(), n.maxBurstLengthBytes(), n.firstBurstLengthBytes(),
                n.initialR2T(), n.immediateData(), n.maxOutstandingR2T(), n.maxConnections(),
                n.defaultTime2WaitSeconds(), n.defaultTime2RetainSeconds());
    }

    /** Config digest names ("None", "CRC32C"), in the config's order of preference. */
    private static List<Digest> digests(List<String> names) {
        List<Digest> out = new ArrayList<>();
        for (String name : names) {
            Digest d = Digest.fromRfcName(name);
            if (d == null) {
                throw new IllegalArgumentException("unsupported digest " + name + " (supported: CRC32C, None)");
            }
            out.add(d);
        }
        return out;
    }

    private static void checkRange(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + "=" + value + " outside " + min + ".." + max);
        }
    }

    /** Mutable copy used only while reading config keys. */
    private static final class Builder {
        List<Digest> headerDigests;
        List<Digest> dataDigests;
        int mrdsl;
        int maxBurst;
        int firstBurst;
        boolean initialR2T;
        boolean immediateData;
        int maxOutstandingR2T;
        int maxConnections;
        int time2Wait;
        int time2Retain;

        Builder(NegotiationLimits l) {
            headerDigests = l.headerDigests;
            dataDigests = l.dataDigests;
            mrdsl = l.maxRecvDataSegmentLengthBytes;
            maxBurst = l.maxBurstLengthBytes;
            firstBurst = l.firstBurstLengthBytes;
            initialR2T = l.initialR2T;
            immediateData = l.immediateData;
            maxOutstandingR2T = l.maxOutstandingR2T;
            maxConnections = l.maxConnections;
            time2Wait = l.defaultTime2WaitSeconds;
            time2Retain = l.defaultTime2RetainSeconds;
        }

        void set(String key, String value) throws TextFormatException {
            switch (key) {
                case "HeaderDigest" -> headerDigests = digests(key, value);
                case "DataDigest" -> dataDigests = digests(key, value);
                case "MaxRecvDataSegmentLength" -> mrdsl = length(key, value);
                case "MaxBurstLength" -> maxBurst = length(key, value);
                case "FirstBurstLength" -> firstBurst = length(key, value);
                case "InitialR2T" -> initialR2T = TextValues.parseBoolean(key, value);
                case "ImmediateData" -> immediateData = TextValues.parseBoolean(key, value);
                case "MaxOutstandingR2T" ->
                    maxOutstandingR2T = (int) TextValues.parseNumber(key, value, 1, COUNT_MAX);
                case "MaxConnections" ->
                    maxConnections = (int) TextValues.parseNumber(key, value, 1, COUNT_MAX);
                case "DefaultTime2Wait" ->
                    time2Wait = (int) TextValues.parseNumber(key, value, 0, TIME_SECONDS_MAX);
                case "DefaultTime2Retain" ->
                    time2Retain = (int) TextValues.parseNumber(key, value, 0, TIME_SECONDS_MAX);
                case "ErrorRecoveryLevel" -> TextValues.parseNumber(key, value, 0, 0);
                case "DataPDUInOrder", "DataSequenceInOrder" -> {
                    if (!TextValues.parseBoolean(key, value)) {
                        throw new TextFormatException(key + "=No is not supported (only Yes)");
                    }
                }
                default -> throw new TextFormatException("unknown negotiation key " + key);
            }
        }

        private static int length(String key, String value) throws TextFormatException {
            return (int) TextValues.parseNumber(key, value, LENGTH_BYTES_MIN, LENGTH_BYTES_MAX);
        }

        private static List<Digest> digests(String key, String value) throws TextFormatException {
            List<Digest> out = new ArrayList<>();
            for (String item : TextValues.parseList(key, value)) {
                Digest d = Digest.fromRfcName(item);
                if (d == null) {
                    throw new TextFormatException(key + ": unsupported digest " + item
                            + " (supported: CRC32C, None)");
                }
                if (!out.contains(d)) {
                    out.add(d);
                }
            }
            return out;
        }

        NegotiationLimits build() {
            return new NegotiationLimits(headerDigests, dataDigests, mrdsl, maxBurst, firstBurst,
                    initialR2T, immediateData, maxOutstandingR2T, maxConnections, time2Wait,
                    time2Retain);
        }
    }
}

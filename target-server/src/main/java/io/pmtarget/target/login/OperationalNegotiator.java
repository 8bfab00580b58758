package io.pmtarget.target.login;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operational key negotiation of one login (RFC 7143 6.2 and 13), one small method per key. It
 * starts from the RFC defaults, caps every offer to our {@link NegotiationLimits} (logging each
 * cap), answers NotUnderstood to unknown keys and Irrelevant to session keys in discovery, and
 * checks rules that span keys (FirstBurstLength <= MaxBurstLength) once a whole text is in.
 */
final class OperationalNegotiator {
    private static final Logger LOG = LoggerFactory.getLogger(OperationalNegotiator.class);

    /** RFC 7143 13: defaults that apply when a key is never negotiated. */
    static final int DEFAULT_MAX_BURST_LENGTH_BYTES = 262144;
    static final int DEFAULT_FIRST_BURST_LENGTH_BYTES = 65536;
    static final int DEFAULT_TIME2WAIT_SECONDS = 2;
    static final int DEFAULT_TIME2RETAIN_SECONDS = 20;

    /** Keys that RFC 7143 marks "Irrelevant when: SessionType=Discovery". */
    private static final Set<String> IRRELEVANT_IN_DISCOVERY = Set.of("MaxConnections",
            "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
            "MaxOutstandingR2T", "DataPDUInOrder", "DataSequenceInOrder", "TaskReporting");

    private final NegotiationLimits limits;
    private final boolean discovery;
    private final String who;
    /** Keys the initiator has negotiated in this login: RFC 7143 6.2 forbids doing it twice. */
    private final Set<String> negotiated = new HashSet<>();
    /** Keys we offered (target as originator) and whose answer we still need. */
    private final Map<String, String> pendingOffers = new LinkedHashMap<>();

    private Digest headerDigest = Digest.NONE;
    private Digest dataDigest = Digest.NONE;
    private int initiatorMrdsl = OperationalParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH_BYTES;
    private boolean mrdslDeclared;
    private int maxBurst = DEFAULT_MAX_BURST_LENGTH_BYTES;
    private int firstBurst = DEFAULT_FIRST_BURST_LENGTH_BYTES;
    private boolean initialR2T = true;
    private boolean immediateData = true;
    private int maxOutstandingR2T = 1;
    private int maxConnections = 1;
    private int time2Wait = DEFAULT_TIME2WAIT_SECONDS;
    private int time2Retain = DEFAULT_TIME2RETAIN_SECONDS;

    OperationalNegotiator(NegotiationLimits limits, boolean discovery, String who) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.discovery = discovery;
        this.who = who;
    }

    /** Whether we are waiting for the initiator's answers to our own offers. */
    boolean hasPendingOffers() {
        return !pendingOffers.isEmpty();
    }

    /** Negotiates one key the initiator sent, adding our answer (if any) to response. */
    void negotiate(String key, String value, Map<String, String> response) throws LoginException {
        if (pendingOffers.containsKey(key)) {
            acceptAnswer(key, value);
            return;
        }
        if (!negotiated.add(key)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "key " + key + " negotiated twice "
                    + "in one login (RFC 7143 6.2), second value " + TextValues.abbreviate(value));
        }
        if (discovery && IRRELEVANT_IN_DISCOVERY.contains(key)) {
            response.put(key, TextValues.IRRELEVANT);
            return;
        }
        try {
            negotiateKnown(key, value, response);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, e.getMessage());
        }
    }

    private void negotiateKnown(String key, String value, Map<String, String> response)
            throws TextFormatException, LoginException {
        switch (key) {
            case "HeaderDigest" -> headerDigest = digest(key, value, limits.headerDigests(), response);
            case "DataDigest" -> dataDigest = digest(key, value, limits.dataDigests(), response);
            case "MaxRecvDataSegmentLength" -> maxRecvDataSegmentLength(value, response);
            case "MaxBurstLength" -> maxBurst = minimum(key, value,
                    NegotiationLimits.LENGTH_BYTES_MIN, NegotiationLimits.LENGTH_BYTES_MAX,
                    limits.maxBurstLengthBytes(), response);
            case "FirstBurstLength" -> firstBurst = minimum(key, value,
                    NegotiationLimits.LENGTH_BYTES_MIN, NegotiationLimits.LENGTH_BYTES_MAX,
                    limits.firstBurstLengthBytes(), response);
            case "InitialR2T" -> initialR2T = or(key, value, limits.initialR2T(), response);
            case "ImmediateData" -> immediateData = and(key, value, limits.immediateData(), response);
            case "MaxOutstandingR2T" -> maxOutstandingR2T = minimum(key, value, 1,
                    NegotiationLimits.COUNT_MAX, limits.maxOutstandingR2T(), response);
            case "MaxConnections" -> maxConnections = minimum(key, value, 1,
                    NegotiationLimits.COUNT_MAX, limits.maxConnections(), response);
            case "DefaultTime2Wait" -> time2Wait = maximum(key, value,
                    limits.defaultTime2WaitSeconds(), response);
            case "DefaultTime2Retain" -> time2Retain = minimum(key, value, 0,
                    NegotiationLimits.TIME_SECONDS_MAX, limits.defaultTime2RetainSeconds(), response);
            // We implement only ErrorRecoveryLevel 0: Minimum(offer, 0) is always 0.
            case "ErrorRecoveryLevel" -> minimum(key, value, 0, 2, 0, response);
            // In-order data is all the session layer handles; OR with our Yes gives Yes.
            case "DataPDUInOrder", "DataSequenceInOrder" -> or(key, value, true, response);
            // RFC 7143 13.26: markers are obsolete; "No" is the permitted answer that every
            // RFC 3720 initiator understands.
            case "IFMarker", "OFMarker" -> {
                TextValues.parseBoolean(key, value);
                response.put(key, TextValues.NO);
            }
            case "IFMarkInt", "OFMarkInt" -> response.put(key, TextValues.REJECT);
            // RFC 7143 13.23: we give only the RFC 3720 task-reporting semantics.
            case "TaskReporting" -> response.put(key,
                    TextValues.parseList(key, value).contains("RFC3720") ? "RFC3720" : TextValues.REJECT);
            default -> {
                LOG.debug("{}: answering NotUnderstood to {}={}", who, key, TextValues.abbreviate(value));
                response.put(key, TextValues.NOT_UNDERSTOOD);
            }
        }
    }

    /** RFC 7143 6.2.1 list: the first offered value we support, else Reject. */
    private Digest digest(String key, String value, List<Digest> ours, Map<String, String> response)
            throws TextFormatException, LoginException {
        for (String offered : TextValues.parseList(key, value)) {
            Digest d = Digest.fromRfcName(offered);
            if (d != null && ours.contains(d)) {
                response.put(key, d.rfcName());
                return d;
            }
        }
        if (!ours.contains(Digest.NONE)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, key + "=" + value
                    + " offers nothing we accept (we require " + ours + ")");
        }
        response.put(key, TextValues.REJECT);
        return Digest.NONE;
    }

    /** RFC 7143 13.12: declarative; we answer with our own declaration. */
    private void maxRecvDataSegmentLength(String value, Map<String, String> response)
            throws TextFormatException {
        initiatorMrdsl = (int) TextValues.parseNumber("MaxRecvDataSegmentLength", value,
                NegotiationLimits.LENGTH_BYTES_MIN, NegotiationLimits.LENGTH_BYTES_MAX);
        declareMrdsl(response);
    }

    private void declareMrdsl(Map<String, String> response) {
        response.put("MaxRecvDataSegmentLength",
                Integer.toString(limits.maxRecvDataSegmentLengthBytes()));
        mrdslDeclared = true;
    }

    private int minimum(String key, String value, long min, long max, int ours,
            Map<String, String> response) throws TextFormatException {
        int offered = (int) TextValues.parseNumber(key, value, min, max);
        int result = Math.min(offered, ours);
        if (result < offered) {
            LOG.debug("{}: capping {}={} to our limit {}", who, key, offered, ours);
        }
        response.put(key, Integer.toString(result));
        return result;
    }

    private int maximum(String key, String value, int ours, Map<String, String> response)
            throws TextFormatException {
        int offered = (int) TextValues.parseNumber(key, value, 0, NegotiationLimits.TIME_SECONDS_MAX);
        int result = Math.max(offered, ours);
        response.put(key, Integer.toString(result));
        return result;
    }

    private static boolean or(String key, String value, boolean ours, Map<String, String> response)
            throws TextFormatException {
        boolean result = TextValues.parseBoolean(key, value) || ours;
        response.put(key, TextValues.formatBoolean(result));
        return result;
    }

    private static boolean and(String key, String value, boolean ours, Map<String, String> response)
            throws TextFormatException {
        boolean result = TextValues.parseBoolean(key, value) && ours;
        response.put(key, TextValues.formatBoolean(result));
        return result;
    }

    /**
     * Cross-key rules, checked when a whole text has been negotiated because keys arrive in any
     * order. RFC 7143 13.14: FirstBurstLength must not exceed MaxBurstLength. When both answers
     * are in this response we lower FirstBurstLength (Minimum allows any smaller answer);
     * otherwise the initiator broke the rule across PDUs.
     */
    void checkCrossKeyRules(Map<String, String> response) throws LoginException {
        if (discovery || firstBurst <= maxBurst) {
            return;
        }
        if (response.containsKey("FirstBurstLength")) {
            LOG.debug("{}: lowering FirstBurstLength {} to MaxBurstLength {}", who, firstBurst, maxBurst);
            firstBurst = maxBurst;
            response.put("FirstBurstLength", Integer.toString(firstBurst));
            return;
        }
        if (!negotiated.contains("FirstBurstLength")) {
            return; // still the default: prepareTransit offers a value that fits
        }
        throw new LoginException(LoginStatus.INITIATOR_ERROR, "FirstBurstLength " + firstBurst
                + " exceeds MaxBurstLength " + maxBurst + " (RFC 7143 13.14)");
    }

    /**
     * Before the transit to full feature phase: declare our MaxRecvDataSegmentLength if not done
     * yet, and offer (as originator) every key whose RFC default our limits do not accept. Offers
     * need answers, so the caller must not transit while {@link #hasPendingOffers()}.
     */
    void prepareTransit(Map<String, String> response) {
        if (!mrdslDeclared) {
            declareMrdsl(response);
        }
        offerIfDefaultUnacceptable("HeaderDigest", !limits.headerDigests().contains(headerDigest),
                joinDigests(limits.headerDigests()), response);
        offerIfDefaultUnacceptable("DataDigest", !limits.dataDigests().contains(dataDigest),
                joinDigests(limits.dataDigests()), response);
        if (discovery) {
            return;
        }
        offerIfDefaultUnacceptable("MaxBurstLength", maxBurst > limits.maxBurstLengthBytes(),
                Integer.toString(limits.maxBurstLengthBytes()), response);
        int firstBurstCap = Math.min(limits.firstBurstLengthBytes(),
                Math.min(maxBurst, limits.maxBurstLengthBytes()));
        offerIfDefaultUnacceptable("FirstBurstLength", firstBurst > firstBurstCap,
                Integer.toString(firstBurstCap), response);
        offerIfDefaultUnacceptable("ImmediateData", immediateData && !limits.immediateData(),
                TextValues.NO, response);
    }

    private void offerIfDefaultUnacceptable(String key, boolean unacceptable, String offer,
            Map<String, String> response) {
        if (unacceptable && !negotiated.contains(key) && !pendingOffers.containsKey(key)) {
            pendingOffers.put(key, offer);
            response.put(key, offer);
        }
    }

    /** The initiator's answer to one of our offers (RFC 7143 6.2: it must be acceptable to us). */
    private void acceptAnswer(String key, String value) throws LoginException {
        String offer = pendingOffers.remove(key);
        negotiated.add(key);
        Map<String, String> ignored = new LinkedHashMap<>();
        try {
            switch (key) {
                case "HeaderDigest" -> headerDigest = digest(key, value, limits.headerDigests(), ignored);
                case "DataDigest" -> dataDigest = digest(key, value, limits.dataDigests(), ignored);
                case "MaxBurstLength" -> maxBurst = (int) TextValues.parseNumber(key, value,
                        NegotiationLimits.LENGTH_BYTES_MIN, Long.parseLong(offer));
                case "FirstBurstLength" -> firstBurst = (int) TextValues.parseNumber(key, value,
                        NegotiationLimits.LENGTH_BYTES_MIN, Long.parseLong(offer));
                case "ImmediateData" -> immediateData = TextValues.parseBoolean(key, value);
                default -> throw new IllegalStateException("no offer handling for " + key);
            }
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "unacceptable answer to our offer "
                    + key + "=" + offer + ": " + e.getMessage());
        }
        if (!ignored.isEmpty() && TextValues.REJECT.equals(ignored.get(key))
                || (key.equals("ImmediateData") && immediateData)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "unacceptable answer to our offer "
                    + key + "=" + offer + ": " + value);
        }
    }

    private static String joinDigests(List<Digest> digests) {
        StringBuilder out = new StringBuilder();
        for (Digest d : digests) {
            out.append(out.length() == 0 ? "" : ",").append(d.rfcName());
        }
        return out.toString();
    }

    /** The parameters in force; call after the last negotiation round. */
    OperationalParameters result() {
        assert pendingOffers.isEmpty() : "offers still open: " + pendingOffers.keySet();
        return new OperationalParameters(headerDigest, dataDigest, initiatorMrdsl,
                mrdslDeclared ? limits.maxRecvDataSegmentLengthBytes()
                        : OperationalParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH_BYTES,
                maxBurst, firstBurst, initialR2T, immediateData, maxOutstandingR2T,
                maxConnections, time2Wait, time2Retain, 0, true, true);
    }
}

package io.pmtarget.target.login;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text Requests in full feature phase (RFC 7143 11.10, 11.11, Appendix C): SendTargets for
 * discovery and normal sessions, MaxRecvDataSegmentLength redeclaration, and the continuation
 * rules in both directions (our C bit with a Target Transfer Tag when the answer exceeds the
 * initiator's MaxRecvDataSegmentLength; its C bit with bounded accumulation). One instance per
 * session connection; not thread-safe.
 */
public final class TextNegotiation {
    private static final Logger LOG = LoggerFactory.getLogger(TextNegotiation.class);

    /**
     * Bound on one response text. A SendTargets entry is at most ~240 bytes of TargetName plus
     * ~70 per portal, so this holds hundreds of targets; past it targets are left out, logged.
     */
    public static final int RESPONSE_TEXT_LENGTH_BYTES_MAX = 256 * 1024;

    /** Keys fixed at login (leading-only or initialize-only in RFC 7143 13): answered Reject. */
    private static final Set<String> LOGIN_ONLY_KEYS = Set.of("HeaderDigest", "DataDigest",
            "MaxConnections", "InitialR2T", "ImmediateData", "MaxBurstLength", "FirstBurstLength",
            "DefaultTime2Wait", "DefaultTime2Retain", "MaxOutstandingR2T", "DataPDUInOrder",
            "DataSequenceInOrder", "ErrorRecoveryLevel", "SessionType", "InitiatorName",
            "TargetName", "AuthMethod", "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt",
            "TargetPortalGroupTag", "TaskReporting");

    private final TargetDirectory directory;
    private final NegotiatedSession session;
    private int initiatorMrdsl;
    private int nextTag = 1;

    /** Exchange in progress: ITT and TTT of the pending continuation, else tag is reserved. */
    private int pendingItt;
    private int pendingTtt = TextRequest.RESERVED_TAG;
    private final ByteArrayOutputStream partialText = new ByteArrayOutputStream();
    private byte[] pendingOutput;

    public TextNegotiation(TargetDirectory directory, NegotiatedSession session) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.session = Objects.requireNonNull(session, "session");
        this.initiatorMrdsl = session.parameters().initiatorMaxRecvDataSegmentLengthBytes();
    }

    /** The initiator's MaxRecvDataSegmentLength now (it may redeclare it in full feature phase). */
    public int initiatorMaxRecvDataSegmentLengthBytes() {
        return initiatorMrdsl;
    }

    /**
     * Handles one Text Request.
     *
     * @throws TextProtocolException for F+C, an unknown TTT, data while collecting our text, or
     *     malformed text; any exchange in progress is dropped
     */
    public TextResponse onTextRequest(TextRequest r) throws TextProtocolException {
        try {
            return handle(r);
        } catch (TextProtocolException e) {
            reset();
            LOG.warn("text request from {} rejected: {}", session.initiatorName(), e.getMessage());
            throw e;
        }
    }

    private TextResponse handle(TextRequest r) throws TextProtocolException {
        if (r.fin() && r.cont()) {
            throw new TextProtocolException("Text Request with F and C both set");
        }
        if (r.targetTransferTag() == TextRequest.RESERVED_TAG) {
            reset(); // RFC 7143 11.10.4: a reserved TTT starts a new exchange
        } else if (r.targetTransferTag() != pendingTtt || r.initiatorTaskTag() != pendingItt) {
            throw new TextProtocolException(String.format("TTT 0x%08x / ITT 0x%08x match no "
                    + "exchange in progress", r.targetTransferTag(), r.initiatorTaskTag()));
        } else if (pendingOutput != null) {
            if (r.data().length != 0) {
                throw new TextProtocolException("text sent while our response was incomplete");
            }
            return nextPiece(r.initiatorTaskTag());
        }
        if (partialText.size() + r.data().length > TextCodec.TEXT_LENGTH_BYTES_MAX) {
            throw new TextProtocolException("continued text exceeds " + TextCodec.TEXT_LENGTH_BYTES_MAX);
        }
        partialText.write(r.data(), 0, r.data().length);
        if (r.cont()) {
            pendingItt = r.initiatorTaskTag();
            pendingTtt = newTag();
            return new TextResponse(false, false, pendingItt, pendingTtt, new byte[0]);
        }
        Map<String, String> keys;
        try {
            keys = TextCodec.decode(partialText.toByteArray());
        } catch (TextFormatException e) {
            throw new TextProtocolException("malformed text: " + e.getMessage());
        }
        partialText.reset();
        List<Map.Entry<String, String>> answer = new ArrayList<>();
        int newMrdsl = answerKeys(keys, answer);
        pendingOutput = TextCodec.encode(answer);
        pendingItt = r.initiatorTaskTag();
        TextResponse first = nextPiece(pendingItt);
        initiatorMrdsl = newMrdsl; // takes effect once this exchange has been answered
        return first;
    }

    private int answerKeys(Map<String, String> keys, List<Map.Entry<String, String>> answer) {
        int mrdsl = initiatorMrdsl;
        for (Map.Entry<String, String> e : keys.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.equals("SendTargets")) {
                sendTargets(value, answer);
            } else if (key.equals("MaxRecvDataSegmentLength")) {
                try {
                    mrdsl = (int) TextValues.parseNumber(key, value, NegotiationLimits.LENGTH_BYTES_MIN,
                            NegotiationLimits.LENGTH_BYTES_MAX);
                    answer.add(pair(key, Integer.toString(
                            session.parameters().targetMaxRecvDataSegmentLengthBytes())));
                } catch (TextFormatException ex) {
                    answer.add(pair(key, TextValues.REJECT));
                }
            } else if (LOGIN_ONLY_KEYS.contains(key) || SecurityNegotiation.isSecurityKey(key)) {
                answer.add(pair(key, TextValues.REJECT));
            } else {
                answer.add(pair(key, TextValues.NOT_UNDERSTOOD));
            }
        }
        return mrdsl;
    }

    /**
     * RFC 7143 Appendix C: "All" lists every target this initiator may see (discovery only); a
     * name lists that target; an empty value in a normal session means the session's target.
     */
    private void sendTargets(String value, List<Map.Entry<String, String>> answer) {
        boolean discovery = session.sessionType() == SessionType.DISCOVERY;
        List<TargetPolicy> listed = new ArrayList<>();
        if (value.equals("All")) {
            if (!discovery) {
                answer.add(pair("SendTargets", TextValues.REJECT));
                return;
            }
            for (TargetPolicy t : directory.targets()) {
                if (t.allows(session.initiatorName())) {
                    listed.add(t);
                }
            }
        } else if (value.isEmpty()) {
            if (discovery) {
                answer.add(pair("SendTargets", TextValues.REJECT));
                return;
            }
            listed.add(session.target());
        } else {
            TargetDirectory.Lookup lookup = directory.lookup(value);
            boolean visible = lookup.state() == TargetDirectory.State.AVAILABLE
                    && lookup.policy().allows(session.initiatorName())
                    && (discovery || lookup.policy().equals(session.target()));
            if (visible) {
                listed.add(lookup.policy());
            }
        }
        appendTargets(listed, answer);
    }

    private void appendTargets(List<TargetPolicy> targets, List<Map.Entry<String, String>> answer) {
        int bytes = 0;
        for (int i = 0; i < targets.size(); i++) {
            TargetPolicy t = targets.get(i);
            List<Map.Entry<String, String>> entry = new ArrayList<>();
            entry.add(pair("TargetName", t.targetName()));
            for (Portal p : t.portals()) {
                entry.add(pair("TargetAddress", p.targetAddress(t.tpgt())));
            }
            int entryBytes = 0;
            for (Map.Entry<String, String> e : entry) {
                entryBytes += e.getKey().length() + 2 + e.getValue().getBytes(StandardCharsets.UTF_8).length;
            }
            if (bytes + entryBytes > RESPONSE_TEXT_LENGTH_BYTES_MAX) {
                LOG.warn("SendTargets for {}: response bound of {} bytes reached, {} of {} targets "
                        + "left out", session.initiatorName(), RESPONSE_TEXT_LENGTH_BYTES_MAX,
                        targets.size() - i, targets.size());
                return;
            }
            bytes += entryBytes;
            answer.addAll(entry);
        }
    }

    /** The next piece of our text, at most the initiator's MaxRecvDataSegmentLength. */
    private TextResponse nextPiece(int itt) {
        int n = Math.min(pendingOutput.length, initiatorMrdsl);
        byte[] piece = Arrays.copyOf(pendingOutput, n);
        if (n == pendingOutput.length) {
            reset();
            return new TextResponse(true, false, itt, TextRequest.RESERVED_TAG, piece);
        }
        pendingOutput = Arrays.copyOfRange(pendingOutput, n, pendingOutput.length);
        pendingTtt = newTag();
        return new TextResponse(false, true, itt, pendingTtt, piece);
    }

    private void reset() {
        pendingOutput = null;
        pendingTtt = TextRequest.RESERVED_TAG;
        partialText.reset();
    }

    private int newTag() {
        int tag = nextTag;
        nextTag = nextTag == Integer.MAX_VALUE ? 1 : nextTag + 1;
        assert tag != TextRequest.RESERVED_TAG;
        return tag;
    }

    private static Map.Entry<String, String> pair(String key, String value) {
        return new SimpleImmutableEntry<>(key, value);
    }
}

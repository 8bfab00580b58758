package io.pmtarget.target.login;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One CHAP exchange in the security stage (RFC 7143 12.1.3 over RFC 1994): we answer CHAP_A with
 * our identifier and a fresh random challenge, then check CHAP_N/CHAP_R and, for mutual CHAP,
 * answer the initiator's CHAP_I/CHAP_C with our own CHAP_N/CHAP_R.
 */
final class ChapExchange {
    /** RFC 7143 12.1.3: CHAP_A=5 is MD5 (the only algorithm RFC 7143 requires). */
    static final int ALGORITHM_MD5 = 5;
    /** Our challenge: 16 random bytes, the MD5 output size (RFC 1994 suggests at least that). */
    static final int CHALLENGE_LENGTH_BYTES = 16;
    /** Longest initiator challenge we accept (ctld's bound); 1024 bytes is 2050 hex characters. */
    static final int PEER_CHALLENGE_LENGTH_BYTES_MAX = 1024;
    static final int MD5_LENGTH_BYTES = 16;

    private final AuthPolicy policy;
    private final SecureRandom random;
    private int identifier = -1;
    private byte[] challenge;

    ChapExchange(AuthPolicy policy, SecureRandom random) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
        if (policy.chap() == null) {
            throw new IllegalArgumentException("CHAP exchange without a CHAP credential");
        }
    }

    /** Step 1: CHAP_A=&lt;A1,A2,...&gt; -> CHAP_A=5, CHAP_I, CHAP_C. */
    void onAlgorithms(String chapA, Map<String, String> response) throws LoginException {
        List<String> offered;
        try {
            offered = TextValues.parseList("CHAP_A", chapA);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, e.getMessage());
        }
        if (!offered.contains(Integer.toString(ALGORITHM_MD5))) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_A=" + chapA + " does not offer MD5 (5)");
        }
        identifier = random.nextInt(256);
        challenge = new byte[CHALLENGE_LENGTH_BYTES];
        random.nextBytes(challenge);
        response.put("CHAP_A", Integer.toString(ALGORITHM_MD5));
        response.put("CHAP_I", Integer.toString(identifier));
        response.put("CHAP_C", TextValues.formatHex(challenge));
    }

    /**
     * Step 2: CHAP_N and CHAP_R prove the initiator; CHAP_I and CHAP_C (both or neither) ask us
     * to prove ourselves.
     */
    void onResponse(Map<String, String> keys, Map<String, String> response) throws LoginException {
        assert challenge != null : "onAlgorithms first";
        String name = required(keys, "CHAP_N");
        String chapR = required(keys, "CHAP_R");
        ChapCredential expected = policy.chap();
        if (!MessageDigest.isEqual(name.getBytes(StandardCharsets.UTF_8),
                expected.user().getBytes(StandardCharsets.UTF_8))) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "unknown CHAP_N=" + TextValues.abbreviate(name));
        }
        byte[] received = binary("CHAP_R", chapR, MD5_LENGTH_BYTES);
        byte[] wanted = md5Response(identifier, expected.secretBytes(), challenge);
        if (!MessageDigest.isEqual(received, wanted)) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "CHAP_R does not match for CHAP_N=" + name);
        }
        String peerId = keys.get("CHAP_I");
        String peerChallenge = keys.get("CHAP_C");
        if (peerId == null && peerChallenge == null) {
            return;
        }
        if (peerId == null || peerChallenge == null) {
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "mutual CHAP needs both CHAP_I "
                    + "and CHAP_C, got only " + (peerId == null ? "CHAP_C" : "CHAP_I"));
        }
        answerMutual(peerId, peerChallenge, response);
    }

    private void answerMutual(String peerId, String peerChallenge, Map<String, String> response)
            throws LoginException {
        ChapCredential ours = policy.mutualChap();
        if (ours == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "initiator asks for mutual CHAP but no mutual credential is configured");
        }
        int id;
        try {
            id = (int) TextValues.parseNumber("CHAP_I", peerId, 0, 255);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, e.getMessage());
        }
        byte[] c = binary("CHAP_C", peerChallenge, PEER_CHALLENGE_LENGTH_BYTES_MAX);
        // RFC 7143 12.1.3: the initiator must not reflect our challenge back at us; answering
        // it would hand an attacker the response it needs for the other direction.
        if (Arrays.equals(c, challenge)) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "initiator's CHAP_C reflects our own challenge");
        }
        response.put("CHAP_N", ours.user());
        response.put("CHAP_R", TextValues.formatHex(md5Response(id, ours.secretBytes(), c)));
    }

    /** RFC 1994 4.1: MD5 over the identifier byte, the secret, then the challenge. */
    static byte[] md5Response(int identifier, byte[] secret, byte[] challenge) {
        assert identifier >= 0 && identifier <= 255 : identifier;
        MessageDigest md5;
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide MD5", e);
        }
        md5.update((byte) identifier);
        md5.update(secret);
        md5.update(challenge);
        return md5.digest();
    }

    private static String required(Map<String, String> keys, String key) throws LoginException {
        String value = keys.get(key);
        if (value == null) {
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "CHAP response without " + key);
        }
        return value;
    }

    private static byte[] binary(String key, String value, int maxBytes) throws LoginException {
        try {
            return TextValues.parseBinary(key, value, maxBytes);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, e.getMessage());
        }
    }
}

package io.pmtarget.target.login;

import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The SecurityNegotiation stage (RFC 7143 6.3.2, 12.1): AuthMethod, then for CHAP the three
 * steps of {@link ChapExchange}. Each request moves at most through the steps whose keys it
 * carries, in protocol order.
 */
final class SecurityNegotiation {
    /** Keys that belong to this stage only. */
    static boolean isSecurityKey(String key) {
        return key.equals("AuthMethod") || key.startsWith("CHAP_");
    }

    private enum Step { AUTH_METHOD, CHAP_ALGORITHM, CHAP_RESPONSE, DONE }

    private final AuthPolicy policy;
    private final SecureRandom random;
    private Step step = Step.AUTH_METHOD;
    private ChapExchange chap;

    SecurityNegotiation(AuthPolicy policy, SecureRandom random) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** True once authentication succeeded or None was agreed. */
    boolean done() {
        return step == Step.DONE;
    }

    /** True while a CHAP exchange has started but not finished. */
    boolean inProgress() {
        return step == Step.CHAP_ALGORITHM || step == Step.CHAP_RESPONSE;
    }

    /** True if the initiator proved itself with CHAP. */
    boolean chapAuthenticated() {
        return done() && chap != null;
    }

    /**
     * The initiator left (or skipped) the security stage without agreeing on AuthMethod: allowed
     * only when our policy does not require authentication (RFC 7143 12: the target decides).
     */
    void skip(String reason) throws LoginException {
        if (step != Step.AUTH_METHOD) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "initiator left the security stage in the middle of CHAP (" + reason + ")");
        }
        if (policy.authRequired()) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE,
                    "authentication required but initiator " + reason);
        }
        step = Step.DONE;
    }

    /** Handles the security keys of one complete request. */
    void onKeys(Map<String, String> keys, Map<String, String> response)
            throws LoginException {
        Step stepAtStart = step;
        String authMethod = keys.get("AuthMethod");
        if (authMethod != null) {
            if (step != Step.AUTH_METHOD) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        "AuthMethod=" + authMethod + " negotiated twice");
            }
            chooseAuthMethod(authMethod, response);
        }
        if (step == Step.CHAP_ALGORITHM) {
            String chapA = keys.get("CHAP_A");
            if (chapA != null) {
                chap.onAlgorithms(chapA, response);
                step = Step.CHAP_RESPONSE;
            } else if (stepAtStart == Step.CHAP_ALGORITHM) {
                throw new LoginException(LoginStatus.MISSING_PARAMETER, "CHAP login without CHAP_A");
            }
        } else if (step == Step.CHAP_RESPONSE && stepAtStart == Step.CHAP_RESPONSE) {
            chap.onResponse(keys, response);
            step = Step.DONE;
        }
        checkNoStrayChapKeys(keys, stepAtStart);
    }

    /** RFC 7143 6.2.1 list negotiation: the first initiator choice our policy allows. */
    private void chooseAuthMethod(String value, Map<String, String> response) throws LoginException {
        List<String> offered;
        try {
            offered = TextValues.parseList("AuthMethod", value);
        } catch (TextFormatException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, e.getMessage());
        }
        for (String method : offered) {
            if (method.equals("CHAP") && policy.chap() != null) {
                response.put("AuthMethod", "CHAP");
                chap = new ChapExchange(policy, random);
                step = Step.CHAP_ALGORITHM;
                return;
            }
            if (method.equals("None") && !policy.authRequired()) {
                response.put("AuthMethod", "None");
                step = Step.DONE;
                return;
            }
        }
        throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "AuthMethod=" + value
                + " offers nothing our policy accepts ("
                + (policy.authRequired() ? "CHAP required" : policy.chap() != null ? "CHAP or None" : "None")
                + ")");
    }

    /** CHAP keys outside the step that expects them are a protocol error. */
    private static void checkNoStrayChapKeys(Map<String, String> keys, Step stepAtStart)
            throws LoginException {
        for (String key : keys.keySet()) {
            if (!key.startsWith("CHAP_")) {
                continue;
            }
            boolean expected = key.equals("CHAP_A")
                    ? stepAtStart == Step.AUTH_METHOD || stepAtStart == Step.CHAP_ALGORITHM
                    : stepAtStart == Step.CHAP_RESPONSE;
            if (!expected) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, "unexpected " + key
                        + " at CHAP step " + stepAtStart);
            }
        }
    }
}

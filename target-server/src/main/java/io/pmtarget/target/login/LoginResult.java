package io.pmtarget.target.login;

import java.util.Objects;

/**
 * What to do after one Login Request: send {@code response}, then continue the login, switch
 * the connection to full feature phase with {@code session}, or close the connection.
 */
public record LoginResult(LoginResponse response, Outcome outcome, NegotiatedSession session) {

    public enum Outcome {
        /** Send the response and wait for the next Login Request. */
        CONTINUE,
        /** Send the response (T=1, NSG=3), then enter full feature phase with session. */
        FULL_FEATURE,
        /** Send the (failing) response, then close the connection (RFC 7143 6.3 / 11.13.5). */
        CLOSE
    }

    public LoginResult {
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(outcome, "outcome");
        if ((outcome == Outcome.FULL_FEATURE) != (session != null)) {
            throw new IllegalArgumentException("session is given exactly for FULL_FEATURE");
        }
        if ((outcome == Outcome.CLOSE) != (response.status() != LoginStatus.SUCCESS)) {
            throw new IllegalArgumentException("CLOSE goes with a failure status and only then");
        }
    }
}

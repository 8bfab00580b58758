package io.pmtarget.target.login;

import java.util.Objects;

/**
 * A login failure with the status it maps to. Thrown inside the state machine and turned into one
 * failing Login Response; the message names the offending value and is logged exactly once.
 */
public final class LoginException extends Exception {
    private static final long serialVersionUID = 1L;

    private final LoginStatus status;

    public LoginException(LoginStatus status, String message) {
        super(message);
        this.status = Objects.requireNonNull(status, "status");
        if (status == LoginStatus.SUCCESS) {
            throw new IllegalArgumentException("a LoginException cannot carry SUCCESS: " + message);
        }
    }

    public LoginStatus status() {
        return status;
    }
}

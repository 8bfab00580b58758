package io.pmtarget.target;

/** The server could not start; nothing it started is left running. The message says what and why. */
public final class ServerStartException extends Exception {

    private static final long serialVersionUID = 1L;

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }

    public ServerStartException(String message) {
        super(message);
    }
}

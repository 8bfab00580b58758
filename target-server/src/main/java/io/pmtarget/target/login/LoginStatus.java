package io.pmtarget.target.login;

/**
 * Login Response status class and detail, RFC 7143 section 11.13.5. Every rejection in the login
 * state machine maps to exactly one of these constants; nothing is reported as a generic failure.
 */
public enum LoginStatus {
    SUCCESS(0x00, 0x00, "success"),
    /** 0x0200: catch-all for malformed or protocol-violating requests (bad text, bad stage, T+C). */
    INITIATOR_ERROR(0x02, 0x00, "initiator error"),
    AUTHENTICATION_FAILURE(0x02, 0x01, "authentication failure"),
    AUTHORIZATION_FAILURE(0x02, 0x02, "authorization failure"),
    TARGET_NOT_FOUND(0x02, 0x03, "target not found"),
    TARGET_REMOVED(0x02, 0x04, "target removed"),
    UNSUPPORTED_VERSION(0x02, 0x05, "unsupported version"),
    TOO_MANY_CONNECTIONS(0x02, 0x06, "too many connections"),
    MISSING_PARAMETER(0x02, 0x07, "missing parameter"),
    CANNOT_INCLUDE_IN_SESSION(0x02, 0x08, "can't include in session"),
    SESSION_TYPE_NOT_SUPPORTED(0x02, 0x09, "session type not supported"),
    SESSION_DOES_NOT_EXIST(0x02, 0x0a, "session does not exist"),
    /** 0x020b: the adapter sends this when a non-Login PDU arrives during the login phase. */
    INVALID_REQUEST_DURING_LOGIN(0x02, 0x0b, "invalid request during login"),
    TARGET_ERROR(0x03, 0x00, "target error"),
    SERVICE_UNAVAILABLE(0x03, 0x01, "service unavailable"),
    OUT_OF_RESOURCES(0x03, 0x02, "out of resources");

    private final int statusClass;
    private final int statusDetail;
    private final String description;

    LoginStatus(int statusClass, int statusDetail, String description) {
        this.statusClass = statusClass;
        this.statusDetail = statusDetail;
        this.description = description;
    }

    /** Status-Class byte (BHS byte 36). */
    public int statusClass() {
        return statusClass;
    }

    /** Status-Detail byte (BHS byte 37). */
    public int statusDetail() {
        return statusDetail;
    }

    /** Class and detail as one 16-bit value, e.g. 0x0201. */
    public int code() {
        return (statusClass << 8) | statusDetail;
    }

    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return String.format("0x%04x (%s)", code(), description);
    }
}

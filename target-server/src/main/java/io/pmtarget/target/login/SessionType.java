package io.pmtarget.target.login;

/** SessionType key values (RFC 7143 13.21). */
public enum SessionType {
    NORMAL("Normal"),
    DISCOVERY("Discovery");

    private final String rfcName;

    SessionType(String rfcName) {
        this.rfcName = rfcName;
    }

    public String rfcName() {
        return rfcName;
    }
}

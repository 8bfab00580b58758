package io.pmtarget.target.login;

/** HeaderDigest/DataDigest values of RFC 7143 13.1 that we implement. */
public enum Digest {
    NONE("None"),
    CRC32C("CRC32C");

    private final String rfcName;

    Digest(String rfcName) {
        this.rfcName = rfcName;
    }

    public String rfcName() {
        return rfcName;
    }

    /** The digest with this RFC spelling (case-sensitive, as RFC 7143 6.1 values are), or null. */
    public static Digest fromRfcName(String name) {
        for (Digest d : values()) {
            if (d.rfcName.equals(name)) {
                return d;
            }
        }
        return null;
    }
}

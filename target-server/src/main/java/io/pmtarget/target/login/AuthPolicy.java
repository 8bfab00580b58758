package io.pmtarget.target.login;

/**
 * How a target (or the discovery service) authenticates initiators.
 *
 * @param authRequired true: AuthMethod=None is refused (status 0x0201), CHAP is mandatory
 * @param chap the credential the initiator must prove (CHAP_N/CHAP_R); null: CHAP not offered
 * @param mutualChap the credential we answer with when the initiator sends its own CHAP_I/CHAP_C;
 *     null: an initiator asking for target authentication fails with 0x0201
 */
public record AuthPolicy(boolean authRequired, ChapCredential chap, ChapCredential mutualChap) {
    /** No authentication: AuthMethod=None only. */
    public static final AuthPolicy NONE = new AuthPolicy(false, null, null);

    public AuthPolicy {
        if (authRequired && chap == null) {
            throw new IllegalArgumentException("authentication is required but no CHAP credential "
                    + "is configured");
        }
        if (mutualChap != null && chap == null) {
            throw new IllegalArgumentException("mutual CHAP credential needs a CHAP credential too");
        }
        // RFC 7143 12.1.3: a secret used to authenticate initiators MUST NOT also authenticate
        // targets, or a reflection of our own challenge would yield a valid response.
        if (mutualChap != null && mutualChap.secret().equals(chap.secret())) {
            throw new IllegalArgumentException("mutual CHAP secret equals the CHAP secret of user "
                    + chap.user() + "; RFC 7143 12.1.3 forbids one secret for both directions");
        }
    }

    /** Convenience: CHAP required, optionally mutual. */
    public static AuthPolicy chapRequired(ChapCredential chap, ChapCredential mutualChap) {
        return new AuthPolicy(true, chap, mutualChap);
    }
}

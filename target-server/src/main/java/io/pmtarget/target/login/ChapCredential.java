package io.pmtarget.target.login;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A CHAP name and secret (RFC 1994, RFC 7143 section 12.1.3). The secret is the UTF-8 bytes of
 * the configured text. toString never shows the secret.
 *
 * @param user the CHAP_N value (1..255 bytes)
 * @param secret 12..256 bytes: RFC 7143 12.1.3 asks for at least 96 bits of randomness when CHAP
 *     runs without IPsec; open-iscsi and libiscsi accept up to 256-byte secrets
 */
public record ChapCredential(String user, String secret) {
    public static final int SECRET_LENGTH_BYTES_MIN = 12;
    public static final int SECRET_LENGTH_BYTES_MAX = 256;
    public static final int USER_LENGTH_BYTES_MAX = 255;

    public ChapCredential {
        Objects.requireNonNull(user, "CHAP user");
        Objects.requireNonNull(secret, "CHAP secret");
        int userBytes = user.getBytes(StandardCharsets.UTF_8).length;
        if (userBytes == 0 || userBytes > USER_LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException("CHAP user must be 1.." + USER_LENGTH_BYTES_MAX
                    + " bytes, got " + userBytes);
        }
        if (user.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("CHAP user contains NUL");
        }
        int secretBytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (secretBytes < SECRET_LENGTH_BYTES_MIN || secretBytes > SECRET_LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException("CHAP secret of user " + user + " must be "
                    + SECRET_LENGTH_BYTES_MIN + ".." + SECRET_LENGTH_BYTES_MAX + " bytes (RFC 7143 "
                    + "12.1.3), got " + secretBytes);
        }
    }

    public byte[] secretBytes() {
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ChapCredential[user=" + user + ", secret=<hidden>]";
    }
}

package io.pmtarget.target.config;

import java.util.Objects;

/** A CHAP user name and secret (RFC 7143 section 12.1.3). {@link #toString()} never shows the secret. */
public record ChapCredentials(String user, String secret) {

    public ChapCredentials {
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(secret, "secret");
    }

    @Override
    public String toString() {
        return "ChapCredentials[user=" + user + ", secret=(" + secret.length() + " chars)]";
    }
}

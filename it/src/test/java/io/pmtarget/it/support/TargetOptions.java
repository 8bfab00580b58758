package io.pmtarget.it.support;

import java.util.Objects;

/**
 * What a {@link TargetUnderTest} must offer: LUN size, optional CHAP (RFC 7143 12.1.3) and
 * mutual CHAP, and whether HeaderDigest=CRC32C is offered (RFC 7143 13.1). Immutable; the
 * {@code with*} methods return copies.
 *
 * @param lunSizeBytes     size of the one data LUN; a multiple of 1 MiB
 * @param chapUser         initiator's CHAP name the target demands, or null for no CHAP
 * @param chapSecret       secret for {@code chapUser} (12..16 bytes for tgtd/RFC 7143 12.1.3)
 * @param mutualUser       name the target answers with in mutual CHAP, or null
 * @param mutualSecret     secret for {@code mutualUser}
 * @param headerDigest     true: the target offers HeaderDigest=CRC32C,None
 */
public record TargetOptions(long lunSizeBytes, String chapUser, String chapSecret,
                            String mutualUser, String mutualSecret, boolean headerDigest) {

    public static final long MIB = 1024L * 1024L;
    /** 128 MiB: large enough for every iscsi-test-cu test, small enough for /dev/shm on CI. */
    public static final long LUN_SIZE_BYTES_DEFAULT = 128 * MIB;

    public TargetOptions {
        if (lunSizeBytes <= 0 || lunSizeBytes % MIB != 0) {
            throw new IllegalArgumentException("lunSizeBytes must be a positive multiple of 1 MiB: "
                    + lunSizeBytes);
        }
        if ((chapUser == null) != (chapSecret == null)) {
            throw new IllegalArgumentException("chapUser and chapSecret go together");
        }
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new IllegalArgumentException("mutualUser and mutualSecret go together");
        }
        if (mutualUser != null && chapUser == null) {
            throw new IllegalArgumentException("mutual CHAP needs initiator CHAP first (RFC 7143 12.1.3)");
        }
    }

    public static TargetOptions defaults() {
        return new TargetOptions(LUN_SIZE_BYTES_DEFAULT, null, null, null, null, false);
    }

    public TargetOptions withLunSizeBytes(long sizeBytes) {
        return new TargetOptions(sizeBytes, chapUser, chapSecret, mutualUser, mutualSecret, headerDigest);
    }

    public TargetOptions withChap(String user, String secret) {
        return new TargetOptions(lunSizeBytes, Objects.requireNonNull(user), Objects.requireNonNull(secret),
                mutualUser, mutualSecret, headerDigest);
    }

    public TargetOptions withMutualChap(String user, String secret) {
        return new TargetOptions(lunSizeBytes, chapUser, chapSecret, Objects.requireNonNull(user),
                Objects.requireNonNull(secret), headerDigest);
    }

    public TargetOptions withHeaderDigest(boolean enabled) {
        return new TargetOptions(lunSizeBytes, chapUser, chapSecret, mutualUser, mutualSecret, enabled);
    }

    public boolean chap() {
        return chapUser != null;
    }

    public boolean mutualChap() {
        return mutualUser != null;
    }

    /** One-line description for reports, never containing secrets. */
    public String describe() {
        return (lunSizeBytes / MIB) + " MiB thick LUN"
                + (chap() ? ", CHAP" : "") + (mutualChap() ? " (mutual)" : "")
                + (headerDigest ? ", HeaderDigest=CRC32C offered" : "");
    }
}

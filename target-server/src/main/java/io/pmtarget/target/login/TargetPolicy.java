package io.pmtarget.target.login;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What the config says about one target, as the login logic needs it.
 *
 * @param targetName the iSCSI name (iqn./eui./naa., at most 223 bytes, RFC 7143 6.1)
 * @param alias TargetAlias sent in normal-session logins, or null
 * @param allowedInitiators initiator names allowed to log in (compared case-insensitively, as
 *     RFC 3722 normalises iSCSI names to lower case); ignored when allowAnyInitiator
 * @param allowAnyInitiator true only if the config explicitly says any initiator may log in
 * @param auth how initiators authenticate
 * @param limits negotiation limits for sessions to this target
 * @param portals portals reported by SendTargets (at least one)
 * @param tpgt the target portal group tag (RFC 7143 13.9), 0..65535
 */
public record TargetPolicy(
        String targetName,
        String alias,
        Set<String> allowedInitiators,
        boolean allowAnyInitiator,
        AuthPolicy auth,
        NegotiationLimits limits,
        List<Portal> portals,
        int tpgt) {

    /** RFC 7143 6.1: iSCSI names are at most 223 bytes. */
    public static final int ISCSI_NAME_LENGTH_BYTES_MAX = 223;

    public TargetPolicy {
        checkIscsiName("target name", targetName);
        if (alias != null && alias.getBytes(StandardCharsets.UTF_8).length
                > TextCodec.VALUE_LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException("alias of " + targetName + " exceeds 255 bytes");
        }
        Set<String> normalized = new HashSet<>();
        for (String name : allowedInitiators) {
            checkIscsiName("allowed initiator of " + targetName, name);
            normalized.add(name.toLowerCase(Locale.ROOT));
        }
        allowedInitiators = Set.copyOf(normalized);
        if (allowAnyInitiator && !allowedInitiators.isEmpty()) {
            throw new IllegalArgumentException(targetName + ": both 'any initiator' and a list of "
                    + "allowed initiators given; choose one");
        }
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(limits, "limits");
        portals = List.copyOf(portals);
        if (portals.isEmpty()) {
            throw new IllegalArgumentException(targetName + ": no portals");
        }
        if (tpgt < 0 || tpgt > 65535) {
            throw new IllegalArgumentException(targetName + ": TargetPortalGroupTag " + tpgt
                    + " outside 0..65535");
        }
    }

    /** Whether this initiator may log in to (and see in discovery) this target. */
    public boolean allows(String initiatorName) {
        return allowAnyInitiator
                || allowedInitiators.contains(initiatorName.toLowerCase(Locale.ROOT));
    }

    /** Checks the shape RFC 7143 6.1 / RFC 3720 3.2.6 gives iSCSI names. */
    public static void checkIscsiName(String what, String name) {
        Objects.requireNonNull(name, what);
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > ISCSI_NAME_LENGTH_BYTES_MAX) {
            throw new IllegalArgumentException(what + " must be 1.." + ISCSI_NAME_LENGTH_BYTES_MAX
                    + " bytes: '" + name + "'");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("iqn.") && !lower.startsWith("eui.") && !lower.startsWith("naa.")) {
            throw new IllegalArgumentException(what + " is not an iqn./eui./naa. name: '" + name + "'");
        }
    }
}

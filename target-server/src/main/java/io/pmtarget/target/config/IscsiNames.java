package io.pmtarget.target.config;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** iSCSI name syntax, RFC 7143 section 4.2.7 (iqn., eui., naa. formats). */
public final class IscsiNames {

    /** RFC 7143 section 4.2.7.1: an iSCSI name is at most 223 bytes of UTF-8. */
    public static final int NAME_MAX_BYTES = 223;

    private static final String LABEL = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    private static final Pattern IQN = Pattern.compile(
            "iqn\\.[0-9]{4}-(0[1-9]|1[0-2])\\." + LABEL + "(\\." + LABEL + ")*(:[^\\s]*)?");
    private static final Pattern EUI = Pattern.compile("eui\\.[0-9A-F]{16}");
    private static final Pattern NAA = Pattern.compile("naa\\.([0-9A-F]{16}|[0-9A-F]{32})");

    private IscsiNames() {
    }

    /** Null when valid, else why not. Names are compared case-insensitively (RFC 3722 stringprep folds case). */
    public static String problem(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX_BYTES) {
            return "longer than " + NAME_MAX_BYTES + " bytes (RFC 7143 section 4.2.7.1)";
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("iqn.")) {
            return IQN.matcher(lower).matches() ? null
                    : "not an iqn name: iqn.YYYY-MM.reversed.domain[:suffix] (RFC 7143 section 4.2.7.2)";
        }
        String upper = name.toUpperCase(java.util.Locale.ROOT);
        if (lower.startsWith("eui.")) {
            return EUI.matcher("eui." + upper.substring(4)).matches() ? null : "not an eui name: eui. + 16 hex digits";
        }
        if (lower.startsWith("naa.")) {
            return NAA.matcher("naa." + upper.substring(4)).matches() ? null : "not a naa name: naa. + 16 or 32 hex digits";
        }
        return "an iSCSI name starts with iqn., eui. or naa. (RFC 7143 section 4.2.7.2)";
    }
}

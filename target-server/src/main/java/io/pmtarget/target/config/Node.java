package io.pmtarget.target.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One brace block of the config with its dotted path. Readers record problems instead of throwing
 * and return a fallback, so one run reports every error of the file.
 */
final class Node {

    /** A merged block's origin spans lines ("file: 3-9"): HOCON merged two blocks of one name. */
    private static final Pattern LINE_RANGE = Pattern.compile(": (\\d+)-(\\d+)$");
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    /** What {@link #bytes} returns for a value it reported as wrong (sizes are never negative). */
    static final long INVALID = -1;

    private final Problems problems;
    private final String path;
    private final ConfigObject object;

    Node(Problems problems, String path, ConfigObject object) {
        this.problems = problems;
        this.path = path;
        this.object = object;
    }

    String path() {
        return path;
    }

    ConfigOrigin origin() {
        return object.origin();
    }

    /** Keys in file order (by line, then name), so "the second one" in an error is second in the file. */
    Set<String> keys() {
        List<String> keys = new ArrayList<>(object.keySet());
        keys.sort(java.util.Comparator.comparingInt((String k) -> object.get(k).origin().lineNumber())
                .thenComparing(k -> k));
        return new java.util.LinkedHashSet<>(keys);
    }

    boolean has(String key) {
        return object.containsKey(key) && object.get(key).valueType() != ConfigValueType.NULL;
    }

    String pathOf(String key) {
        String part = PLAIN_KEY.matcher(key).matches() ? key : ConfigUtil.quoteString(key);
        return path.isEmpty() ? part : path + "." + part;
    }

    ConfigOrigin originOf(String key) {
        return has(key) ? object.get(key).origin() : object.origin();
    }

    void error(String key, String problem) {
        problems.error(originOf(key), pathOf(key), problem);
    }

    void warnHere(String problem) {
        problems.warning(object.origin(), path, problem);
    }

    void errorHere(String problem) {
        problems.error(object.origin(), path, problem);
    }

    /** Every key not in {@code allowed} is an error: a typo must not silently become a default. */
    void allowOnly(Set<String> allowed) {
        for (String key : keys()) {
            if (!allowed.contains(key)) {
                error(key, "unknown key (known keys: " + String.join(", ", new TreeSet<>(allowed)) + ")");
            }
        }
    }

    /** Reports a block that HOCON merged from two definitions of the same name. */
    void rejectMergedDuplicate(String what) {
        Matcher m = LINE_RANGE.matcher(object.origin().description());
        if (m.find()) {
            problems.error(object.origin(), path, what + " defined more than once (lines "
                    + m.group(1) + " to " + m.group(2) + "); HOCON would merge the definitions");
        }
    }

    Node child(String key) {
        if (!has(key)) {
            return null;
        }
        ConfigValue value = object.get(key);
        if (value.valueType() != ConfigValueType.OBJECT) {
            error(key, "expected a { } block, got " + describe(value));
            return null;
        }
        return new Node(problems, pathOf(key), (ConfigObject) value);
    }

    /** A required child block; an empty stand-in (after reporting) when it is missing. */
    Node requiredChild(String key) {
        Node child = child(key);
        if (child == null && !has(key)) {
            error(key, "missing (required block)");
        }
        return child;
    }

    String string(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        ConfigValue value = object.get(key);
        ConfigValueType type = value.valueType();
        if (type == ConfigValueType.OBJECT || type == ConfigValueType.LIST) {
            error(key, "expected a text value, got " + describe(value));
            return fallback;
        }
        return String.valueOf(value.unwrapped());
    }

    String requiredString(String key) {
        if (!has(key)) {
            error(key, "missing (required)");
            return null;
        }
        String text = string(key, null);
        if (text != null && text.isBlank()) {
            error(key, "must not be empty");
            return null;
        }
        return text;
    }

    long integer(String key, long fallback, long min, long max) {
        if (!has(key)) {
            return fallback;
        }
        ConfigValue value = object.get(key);
        Long parsed = parseInteger(value);
        if (parsed == null) {
            error(key, "expected an integer, got " + describe(value));
            return fallback;
        }
        if (parsed < min || parsed > max) {
            error(key, parsed + " is out of range " + min + ".." + max);
            return fallback;
        }
        return parsed;
    }

    /**
     * A size in bytes: a number, or text with a unit ("64MiB", "1GiB"; HOCON's "K","M","G" are
     * powers of 2). Returns {@code fallback} when absent and {@link #INVALID} after reporting a problem.
     */
    long bytes(String key, long fallback, long min, long max) {
        if (!has(key)) {
            return fallback;
        }
        long sizeBytes;
        try {
            sizeBytes = object.toConfig().getBytes(ConfigUtil.quoteString(key));
        } catch (ConfigException e) {
            error(key, "not a size: " + describe(object.get(key)) + " (use bytes or a unit: 512KiB, 64MiB, 1GiB)");
            return INVALID;
        }
        if (sizeBytes < min || sizeBytes > max) {
            error(key, sizeBytes + " bytes is out of range " + min + ".." + max);
            return INVALID;
        }
        return sizeBytes;
    }

    /** true/false or the RFC 7143 spelling Yes/No, any case (also on/off, as HOCON allows). */
    boolean bool(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        ConfigValue value = object.get(key);
        String text = String.valueOf(value.unwrapped()).trim().toLowerCase(java.util.Locale.ROOT);
        if (value.valueType() == ConfigValueType.BOOLEAN || value.valueType() == ConfigValueType.STRING) {
            switch (text) {
                case "yes", "true", "on":
                    return true;
                case "no", "false", "off":
                    return false;
                default:
                    break;
            }
        }
        error(key, "expected Yes/No or true/false, got " + describe(value));
        return fallback;
    }

    /** A list of text values; {@code commaText} also accepts one comma-separated text (RFC 7143 list style). */
    List<String> strings(String key, List<String> fallback, boolean commaText) {
        if (!has(key)) {
            return fallback;
        }
        ConfigValue value = object.get(key);
        List<String> out = new ArrayList<>();
        if (value.valueType() == ConfigValueType.STRING && commaText) {
            for (String part : ((String) value.unwrapped()).split(",", -1)) {
                out.add(part.trim());
            }
            return out;
        }
        if (value.valueType() != ConfigValueType.LIST) {
            error(key, "expected a list [\"a\", \"b\"], got " + describe(value));
            return fallback;
        }
        for (Object item : (List<?>) value.unwrapped()) {
            if (!(item instanceof String)) {
                error(key, "list items must be text, got " + item);
                return fallback;
            }
            out.add((String) item);
        }
        return out;
    }

    private static Long parseInteger(ConfigValue value) {
        Object raw = value.unwrapped();
        if (raw instanceof Integer || raw instanceof Long) {
            return ((Number) raw).longValue();
        }
        if (raw instanceof String) {
            try {
                return Long.parseLong(((String) raw).trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    static String describe(ConfigValue value) {
        switch (value.valueType()) {
            case OBJECT:
                return "a { } block";
            case LIST:
                return "a list";
            case NULL:
                return "null";
            default:
                return value.valueType().name().toLowerCase() + " '" + value.unwrapped() + "'";
        }
    }
}

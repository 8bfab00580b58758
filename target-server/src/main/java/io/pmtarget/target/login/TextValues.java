package io.pmtarget.target.login;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Value syntax of RFC 7143 section 6.1 and the constants of section 6.2: numbers (decimal or
 * 0x hex), booleans, lists, binary values (0x hex or 0b base64).
 */
public final class TextValues {
    public static final String YES = "Yes";
    public static final String NO = "No";
    /** RFC 7143 6.2: the responder does not know the key. */
    public static final String NOT_UNDERSTOOD = "NotUnderstood";
    /** RFC 7143 6.2: the key is meaningless in this context (e.g. MaxBurstLength in discovery). */
    public static final String IRRELEVANT = "Irrelevant";
    /** RFC 7143 6.2: no acceptable value. */
    public static final String REJECT = "Reject";

    /** List values are short in every RFC 7143 key; bound the split anyway. */
    public static final int LIST_ITEMS_MAX = 32;
    /** Longest hex digit string we decode as a number (2^64 fits in 16). */
    private static final int HEX_NUMBER_DIGITS_MAX = 16;
    /** Longest decimal digit string we decode as a number. */
    private static final int DECIMAL_NUMBER_DIGITS_MAX = 18;

    private TextValues() {
    }

    /**
     * A numerical value: a decimal constant or a 0x hex constant (RFC 7143 6.1).
     *
     * @throws TextFormatException if the text is not a number in [min, max]
     */
    public static long parseNumber(String key, String value, long min, long max)
            throws TextFormatException {
        long number;
        if (value.startsWith("0x") || value.startsWith("0X")) {
            String digits = value.substring(2);
            if (digits.isEmpty() || digits.length() > HEX_NUMBER_DIGITS_MAX || !isHex(digits)) {
                throw new TextFormatException(key + ": not a hex number: " + value);
            }
            number = Long.parseUnsignedLong(digits, 16);
        } else {
            if (value.isEmpty() || value.length() > DECIMAL_NUMBER_DIGITS_MAX || !isDecimal(value)) {
                throw new TextFormatException(key + ": not a number: " + value);
            }
            number = Long.parseLong(value);
        }
        if (number < min || number > max) {
            throw new TextFormatException(key + "=" + value + " is outside [" + min + ", " + max
                    + "]");
        }
        return number;
    }

    /** "Yes" or "No" exactly (RFC 7143 6.1 boolean-value). */
    public static boolean parseBoolean(String key, String value) throws TextFormatException {
        if (value.equals(YES)) {
            return true;
        }
        if (value.equals(NO)) {
            return false;
        }
        throw new TextFormatException(key + ": not Yes or No: " + value);
    }

    public static String formatBoolean(boolean value) {
        return value ? YES : NO;
    }

    /** Splits a comma-separated list; empty items are invalid. */
    public static List<String> parseList(String key, String value) throws TextFormatException {
        List<String> items = new ArrayList<>();
        int start = 0;
        while (start <= value.length()) {
            int comma = value.indexOf(',', start);
            int end = comma < 0 ? value.length() : comma;
            if (end == start) {
                throw new TextFormatException(key + ": empty item in list: " + value);
            }
            if (items.size() == LIST_ITEMS_MAX) {
                throw new TextFormatException(key + ": more than " + LIST_ITEMS_MAX + " items");
            }
            items.add(value.substring(start, end));
            if (comma < 0) {
                break;
            }
            start = comma + 1;
        }
        return items;
    }

    /**
     * A binary value, 0x hex (an odd digit count means an implied leading zero) or 0b base64.
     *
     * @throws TextFormatException on a missing prefix, bad digits, or more than maxBytes bytes
     */
    public static byte[] parseBinary(String key, String value, int maxBytes)
            throws TextFormatException {
        if (value.length() < 3) {
            throw new TextFormatException(key + ": binary value too short: " + value);
        }
        String prefix = value.substring(0, 2);
        String body = value.substring(2);
        byte[] bytes;
        if (prefix.equals("0x") || prefix.equals("0X")) {
            if (!isHex(body)) {
                throw new TextFormatException(key + ": bad hex digits in " + abbreviate(value));
            }
            String even = (body.length() & 1) == 1 ? "0" + body : body;
            bytes = new byte[even.length() / 2];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) Integer.parseInt(even, 2 * i, 2 * i + 2, 16);
            }
        } else if (prefix.equals("0b") || prefix.equals("0B")) {
            try {
                bytes = Base64.getDecoder().decode(body);
            } catch (IllegalArgumentException e) {
                throw new TextFormatException(key + ": bad base64 in " + abbreviate(value));
            }
        } else {
            throw new TextFormatException(key + ": binary value needs 0x or 0b: " + abbreviate(value));
        }
        if (bytes.length == 0 || bytes.length > maxBytes) {
            throw new TextFormatException(key + ": binary value of " + bytes.length
                    + " bytes, allowed 1.." + maxBytes);
        }
        return bytes;
    }

    /** Lower-case 0x hex, the encoding every initiator we know accepts. */
    public static String formatHex(byte[] bytes) {
        StringBuilder out = new StringBuilder(2 + 2 * bytes.length).append("0x");
        for (byte b : bytes) {
            out.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return out.toString();
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0 || s.charAt(i) > 'f') {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static boolean isDecimal(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }
}

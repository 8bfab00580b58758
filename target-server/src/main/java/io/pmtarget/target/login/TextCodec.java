package io.pmtarget.target.login;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key=value text of Login and Text PDU data segments, RFC 7143 section 6.1: UTF-8
 * {@code key=value} pairs, each followed by one NUL (including the last). Every bound a peer could
 * push is checked before anything is kept.
 */
public final class TextCodec {
    /** RFC 7143 6.1: a key name has at most 63 characters. */
    public static final int KEY_LENGTH_BYTES_MAX = 63;
    /** RFC 7143 6.1: values are at most 255 bytes unless the key's definition says otherwise. */
    public static final int VALUE_LENGTH_BYTES_MAX = 255;
    /**
     * CHAP_C and CHAP_R carry binary values; RFC 7143 6.1 allows long binary values up to 8192
     * bytes of text. Our own challenges are 16 bytes; the cap bounds what an initiator may send.
     */
    public static final int LARGE_VALUE_LENGTH_BYTES_MAX = 8192;
    /** More keys than any RFC 7143 login carries (about 25 standard keys) with room for vendor keys. */
    public static final int KEYS_PER_SEGMENT_MAX = 128;
    /**
     * Bound on one accumulated text (all C-bit continuations together): 128 pairs of maximal
     * standard size fit in well under this.
     */
    public static final int TEXT_LENGTH_BYTES_MAX = 64 * 1024;

    private TextCodec() {
    }

    /**
     * Decodes one complete text (a login/text data segment, or several joined by the C bit).
     *
     * @return the pairs in arrival order; an empty map for an empty segment
     * @throws TextFormatException on a missing '=', bad key, over-long key/value, duplicate key,
     *     missing final NUL, too many keys or invalid UTF-8; the message names the offending key
     */
    public static Map<String, String> decode(byte[] text) throws TextFormatException {
        if (text.length > TEXT_LENGTH_BYTES_MAX) {
            throw new TextFormatException("text of " + text.length + " bytes exceeds "
                    + TEXT_LENGTH_BYTES_MAX);
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        int start = 0;
        while (start < text.length) {
            int end = indexOf(text, (byte) 0, start);
            if (end < 0) {
                throw new TextFormatException("last key=value pair is not NUL-terminated (RFC 7143 "
                        + "6.1): " + printable(text, start, text.length - start));
            }
            if (end == start) {
                // Trailing NULs are padding some initiators leave in the segment; an empty pair
                // in the middle is not valid text.
                if (allZero(text, start)) {
                    break;
                }
                throw new TextFormatException("empty key=value pair at offset " + start);
            }
            if (pairs.size() == KEYS_PER_SEGMENT_MAX) {
                throw new TextFormatException("more than " + KEYS_PER_SEGMENT_MAX + " keys");
            }
            decodePair(text, start, end, pairs);
            start = end + 1;
        }
        return Collections.unmodifiableMap(pairs);
    }

    private static void decodePair(byte[] text, int start, int end, Map<String, String> pairs)
            throws TextFormatException {
        int eq = indexOf(text, (byte) '=', start);
        if (eq < 0 || eq >= end) {
            throw new TextFormatException("pair without '=': " + printable(text, start, end - start));
        }
        String key = utf8(text, start, eq - start, "key");
        checkKey(key);
        int valueLengthBytes = end - eq - 1;
        int valueMax = valueLengthBytesMax(key);
        if (valueLengthBytes > valueMax) {
            throw new TextFormatException("value of " + key + " is " + valueLengthBytes
                    + " bytes, more than " + valueMax);
        }
        String value = utf8(text, eq + 1, valueLengthBytes, key);
        // RFC 7143 6.1 / 6.2: a key appears at most once in one negotiation text.
        if (pairs.putIfAbsent(key, value) != null) {
            throw new TextFormatException("duplicate key " + key);
        }
    }

    /** The largest value, in bytes, accepted for a key. */
    public static int valueLengthBytesMax(String key) {
        return key.equals("CHAP_C") || key.equals("CHAP_R")
                ? LARGE_VALUE_LENGTH_BYTES_MAX : VALUE_LENGTH_BYTES_MAX;
    }

    /** RFC 7143 6.1: letters, digits, '.', '-', '+', '@', '_' (and '#' of X# keys); first a letter; at most 63. */
    static void checkKey(String key) throws TextFormatException {
        if (key.isEmpty()) {
            throw new TextFormatException("empty key name");
        }
        if (key.length() > KEY_LENGTH_BYTES_MAX) {
            throw new TextFormatException("key name of " + key.length() + " characters exceeds "
                    + KEY_LENGTH_BYTES_MAX + ": " + key.substring(0, 32) + "...");
        }
        // RFC 7143 6.1 asks for a capital first letter, but RFC 7144 defines iSCSIProtocolLevel:
        // accept any letter so that key gets its NotUnderstood answer instead of a failed login.
        char first = key.charAt(0);
        if ((first < 'A' || first > 'Z') && (first < 'a' || first > 'z')) {
            throw new TextFormatException("key name does not begin with a letter: " + key);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '+' || c == '@' || c == '_' || c == '#';
            if (!ok) {
                throw new TextFormatException("invalid character 0x" + Integer.toHexString(c)
                        + " in key name " + key);
            }
        }
    }

    /**
     * Encodes pairs in map order, each followed by a NUL.
     *
     * @throws IllegalArgumentException if a key or value breaks RFC 7143 6.1 (a programmer error:
     *     we only send values we built)
     */
    public static byte[] encode(Map<String, String> pairs) {
        return encode(List.copyOf(pairs.entrySet()));
    }

    /** Encodes pairs in list order; a key may repeat (SendTargets answers, RFC 7143 Appendix C). */
    public static byte[] encode(List<Map.Entry<String, String>> pairs) {
        StringBuilder text = new StringBuilder(64 * pairs.size());
        for (Map.Entry<String, String> pair : pairs) {
            try {
                checkKey(pair.getKey());
            } catch (TextFormatException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            String value = pair.getValue();
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("NUL inside value of " + pair.getKey());
            }
            text.append(pair.getKey()).append('=').append(value).append('\0');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        assert bytes.length == 0 || bytes[bytes.length - 1] == 0 : "every pair ends with NUL";
        return bytes;
    }

    private static String utf8(byte[] text, int offset, int length, String what)
            throws TextFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            CharBuffer chars = decoder.decode(ByteBuffer.wrap(text, offset, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new TextFormatException("invalid UTF-8 in " + what + " at offset " + offset);
        }
    }

    private static int indexOf(byte[] text, byte b, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static boolean allZero(byte[] text, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String printable(byte[] text, int offset, int length) {
        int shown = Math.min(length, 64);
        StringBuilder out = new StringBuilder(shown + 3);
        for (int i = 0; i < shown; i++) {
            int b = text[offset + i] & 0xff;
            out.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return length > shown ? out.append("...").toString() : out.toString();
    }
}

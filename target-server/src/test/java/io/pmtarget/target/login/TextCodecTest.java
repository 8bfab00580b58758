package io.pmtarget.target.login;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextCodecTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void decodesPairsInOrderAndRoundTrips() throws Exception {
        Map<String, String> pairs = TextCodec.decode(bytes("InitiatorName=iqn.x\0HeaderDigest=CRC32C,None\0X-a.b@c_d+e=\0"));
        assertEquals(List.of("InitiatorName", "HeaderDigest", "X-a.b@c_d+e"), List.copyOf(pairs.keySet()));
        assertEquals("CRC32C,None", pairs.get("HeaderDigest"));
        assertEquals("", pairs.get("X-a.b@c_d+e"));
        assertArrayEquals(bytes("InitiatorName=iqn.x\0HeaderDigest=CRC32C,None\0X-a.b@c_d+e=\0"),
                TextCodec.encode(pairs));
    }

    @Test
    void emptyTextAndTrailingPaddingNulsAreEmpty() throws Exception {
        assertTrue(TextCodec.decode(new byte[0]).isEmpty());
        assertEquals(Map.of("A", "1"), TextCodec.decode(bytes("A=1\0\0\0\0")));
    }

    @Test
    void valueMayContainEqualsAndUtf8() throws Exception {
        Map<String, String> pairs = TextCodec.decode(bytes("TargetAlias=a=b ünïcode\0"));
        assertEquals("a=b ünïcode", pairs.get("TargetAlias"));
    }

    @Test
    void rejectsMalformedText() {
        String[] bad = {
            "NoEquals\0",                 // no '='
            "A=1",                        // last pair not NUL-terminated
            "A=1\0\0B=2\0",               // empty pair in the middle
            "=1\0",                       // empty key
            "1abc=1\0",                   // key must begin with a letter
            "Bad Key=1\0",                // space in key
            "A=1\0A=2\0",                 // duplicate key (RFC 7143 6.1)
        };
        for (String text : bad) {
            assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes(text)), text);
        }
    }

    @Test
    void boundsKeyAndValueLengths() throws Exception {
        String key63 = "K" + "x".repeat(62);
        TextCodec.decode(bytes(key63 + "=1\0"));
        assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes(key63 + "y=1\0")));
        TextCodec.decode(bytes("A=" + "v".repeat(255) + "\0"));
        assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes("A=" + "v".repeat(256) + "\0")));
        TextCodec.decode(bytes("CHAP_C=0x" + "a".repeat(8190) + "\0"));
        assertThrows(TextFormatException.class,
                () -> TextCodec.decode(bytes("CHAP_R=0x" + "a".repeat(8191) + "\0")));
    }

    @Test
    void boundsKeyCountAndTotalLength() throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < TextCodec.KEYS_PER_SEGMENT_MAX; i++) {
            many.append("K").append(i).append("=1\0");
        }
        assertEquals(TextCodec.KEYS_PER_SEGMENT_MAX, TextCodec.decode(bytes(many.toString())).size());
        String tooMany = many + "Z=1\0";
        assertThrows(TextFormatException.class, () -> TextCodec.decode(bytes(tooMany)));
        assertThrows(TextFormatException.class,
                () -> TextCodec.decode(new byte[TextCodec.TEXT_LENGTH_BYTES_MAX + 1]));
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] text = {'A', '=', (byte) 0xff, (byte) 0xfe, 0};
        TextFormatException e = assertThrows(TextFormatException.class, () -> TextCodec.decode(text));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        byte[] overlong = {'A', '=', (byte) 0xc0, (byte) 0x80, 0}; // overlong NUL encoding
        assertThrows(TextFormatException.class, () -> TextCodec.decode(overlong));
    }

    @Test
    void encodeRefusesBadKeysAndNulValues() {
        Map<String, String> badKey = new LinkedHashMap<>();
        badKey.put("Bad key", "1");
        assertThrows(IllegalArgumentException.class, () -> TextCodec.encode(badKey));
        assertThrows(IllegalArgumentException.class, () -> TextCodec.encode(Map.of("A", "x\0y")));
    }

    @Test
    void valueSyntax() throws Exception {
        assertEquals(8192, TextValues.parseNumber("K", "8192", 512, 16777215));
        assertEquals(0x2000, TextValues.parseNumber("K", "0x2000", 512, 16777215));
        for (String bad : new String[] {"", "-1", "+5", "12a", "0x", "0xg1", "511", "16777216",
            "99999999999999999999"}) {
            assertThrows(TextFormatException.class, () -> TextValues.parseNumber("K", bad, 512, 16777215), bad);
        }
        assertTrue(TextValues.parseBoolean("K", "Yes"));
        assertEquals(false, TextValues.parseBoolean("K", "No"));
        assertThrows(TextFormatException.class, () -> TextValues.parseBoolean("K", "yes"));
        assertEquals(List.of("CRC32C", "None"), TextValues.parseList("K", "CRC32C,None"));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("K", "CRC32C,,None"));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("K", ""));
        assertThrows(TextFormatException.class, () -> TextValues.parseList("K", "a,".repeat(40) + "a"));
    }

    @Test
    void binaryValues() throws Exception {
        assertArrayEquals(new byte[] {0x0a, (byte) 0xbc}, TextValues.parseBinary("K", "0xabc", 16));
        assertArrayEquals(new byte[] {1, 2, 3}, TextValues.parseBinary("K", "0X010203", 16));
        assertArrayEquals(new byte[] {1, 2, 3}, TextValues.parseBinary("K", "0bAQID", 16));
        assertArrayEquals(new byte[] {1, 2, 3}, TextValues.parseBinary("K", "0BAQID", 16));
        for (String bad : new String[] {"abc", "0x", "0xzz", "0b!!!!", "1x00", "0x" + "00".repeat(17)}) {
            assertThrows(TextFormatException.class, () -> TextValues.parseBinary("K", bad, 16), bad);
        }
        assertEquals("0x00ff7f", TextValues.formatHex(new byte[] {0, (byte) 0xff, 0x7f}));
    }
}

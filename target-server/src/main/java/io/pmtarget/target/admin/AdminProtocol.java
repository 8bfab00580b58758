package io.pmtarget.target.admin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * The admin line protocol over a UNIX domain socket (one request per connection).
 *
 * <pre>
 * request:  COMMAND [ARG]\n              (UTF-8, at most REQUEST_LINE_MAX_BYTES before \n)
 * response: ok\n | error MESSAGE\n       (status line)
 *           key=value\n ...              (ok only; at most RESPONSE_LINES_MAX lines)
 *           \n                           (an empty line ends the response)
 * </pre>
 *
 * Commands: {@code ping}, {@code status}, {@code status VOLUME}, {@code flush VOLUME},
 * {@code cleaner VOLUME}. Status keys are {@code volume.NAME.FIELD} and
 * {@code volume.NAME.counter.COUNTER}; values never contain a newline.
 */
public final class AdminProtocol {

    /** A command and a 64-byte volume name fit many times over; anything longer is not ours. */
    public static final int REQUEST_LINE_MAX_BYTES = 1024;
    /** One line of a response: a counter name and a number, or an error text. */
    public static final int RESPONSE_LINE_MAX_BYTES = 8192;
    /** Status of many volumes with dozens of counters each stays far below this. */
    public static final int RESPONSE_LINES_MAX = 100_000;
    /** A client that has not sent its request line by then is dropped. */
    public static final long REQUEST_TIMEOUT_MS = 5_000;

    public static final String OK = "ok";
    public static final String ERROR = "error";

    private AdminProtocol() {
    }

    /** Replaces characters that would break the line framing. */
    public static String sanitize(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            out.append(c == '\n' || c == '\r' ? ' ' : c);
        }
        return out.toString();
    }

    /**
     * Reads one line ending in \n, without the \n; null at end of stream before any byte.
     *
     * @throws IOException when the line exceeds {@code maxBytes} or the stream ends mid-line
     */
    static String readLine(ReadableByteChannel channel, ByteBuffer buffer, int maxBytes) throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        while (true) {
            if (!buffer.hasRemaining()) {
                buffer.clear();
                int n = channel.read(buffer);
                buffer.flip();
                if (n < 0) {
                    if (line.size() == 0) {
                        return null;
                    }
                    throw new IOException("connection closed in the middle of a line");
                }
                continue;
            }
            byte b = buffer.get();
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= maxBytes) {
                throw new IOException("line longer than " + maxBytes + " bytes");
            }
            line.write(b);
        }
    }
}

package io.pmtarget.target.admin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Sends one admin request to a running server and reads the response (see {@link AdminProtocol}). */
public final class AdminClient {

    private AdminClient() {
    }

    /** @throws IOException when no server listens there, or the response breaks the protocol */
    public static AdminResponse request(Path socket, String requestLine) throws IOException {
        byte[] request = (requestLine + "\n").getBytes(StandardCharsets.UTF_8);
        if (request.length - 1 > AdminProtocol.REQUEST_LINE_MAX_BYTES || requestLine.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("request line too long or multi-line");
        }
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            return readResponse(channel);
        }
    }

    private static AdminResponse readResponse(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(AdminProtocol.RESPONSE_LINE_MAX_BYTES);
        buffer.flip();
        String status = AdminProtocol.readLine(channel, buffer, AdminProtocol.RESPONSE_LINE_MAX_BYTES);
        if (status == null) {
            throw new IOException("server closed the admin connection without answering");
        }
        if (status.startsWith(AdminProtocol.ERROR)) {
            return AdminResponse.error(status.substring(AdminProtocol.ERROR.length()).trim());
        }
        if (!status.equals(AdminProtocol.OK)) {
            throw new IOException("bad admin status line: " + status);
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int lines = 0; lines < AdminProtocol.RESPONSE_LINES_MAX; lines++) {
            String line = AdminProtocol.readLine(channel, buffer, AdminProtocol.RESPONSE_LINE_MAX_BYTES);
            if (line == null) {
                throw new IOException("admin response ended without its closing empty line");
            }
            if (line.isEmpty()) {
                return AdminResponse.ok(fields);
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IOException("bad admin response line: " + line);
            }
            fields.put(line.substring(0, eq), line.substring(eq + 1));
        }
        throw new IOException("admin response longer than " + AdminProtocol.RESPONSE_LINES_MAX + " lines");
    }
}

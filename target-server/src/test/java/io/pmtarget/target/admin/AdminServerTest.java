package io.pmtarget.target.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerTest {

    @TempDir
    Path dir;

    /** Echoes the command and its arguments back as fields. */
    static AdminResponse echo(String command, List<String> args) {
        if (command.equals("boom")) {
            throw new IllegalStateException("handler bug");
        }
        if (command.equals("no")) {
            return AdminResponse.error("refused\nwith newline");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("command", command);
        fields.put("args", String.join(",", args));
        fields.put("multi", "a\nb");
        return AdminResponse.ok(fields);
    }

    @Test
    void roundTripAndSocketMode() throws Exception {
        Path socket = dir.resolve("a.sock");
        try (AdminServer server = AdminServer.start(socket, AdminServerTest::echo)) {
            assertEquals(socket, server.socketPath());
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(socket));
            assertFalse(Files.exists(dir.resolve("a.sock.new")), "temporary bind name left behind");
            AdminResponse response = AdminClient.request(socket, "status  v0 x");
            assertTrue(response.ok());
            assertEquals(Map.of("command", "status", "args", "v0,x", "multi", "a b"), response.fields());
            AdminResponse refused = AdminClient.request(socket, "no");
            assertFalse(refused.ok());
            assertEquals("refused with newline", refused.errorMessage());
            AdminResponse bug = AdminClient.request(socket, "boom");
            assertFalse(bug.ok());
            assertTrue(bug.errorMessage().contains("handler bug"), bug.errorMessage());
        }
        assertFalse(Files.exists(socket), "socket file left behind");
    }

    @Test
    void overlongRequestLineIsRefused() throws Exception {
        Path socket = dir.resolve("a.sock");
        try (AdminServer server = AdminServer.start(socket, AdminServerTest::echo)) {
            assertEquals(socket, server.socketPath());
            String reply = rawRequest(socket, "x".repeat(AdminProtocol.REQUEST_LINE_MAX_BYTES + 1) + "\n");
            assertEquals("error bad request: line longer than 1024 bytes\n", reply);
            // The server still answers afterwards.
            assertTrue(AdminClient.request(socket, "ping").ok());
        }
    }

    @Test
    void staleSocketFileIsReplacedButALiveOneIsNot() throws Exception {
        Path socket = dir.resolve("a.sock");
        Files.createFile(socket);
        try (AdminServer server = AdminServer.start(socket, AdminServerTest::echo)) {
            assertEquals(socket, server.socketPath());
            assertTrue(AdminClient.request(socket, "ping").ok());
            IOException e = assertThrows(IOException.class, () -> AdminServer.start(socket, AdminServerTest::echo));
            assertTrue(e.getMessage().contains("answered by a running server"), e.getMessage());
        }
    }

    @Test
    void noServerIsAnIOException() {
        assertThrows(IOException.class, () -> AdminClient.request(dir.resolve("none.sock"), "ping"));
    }

    static String rawRequest(Path socket, String text) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            // Read up to the first newline only: the server closes with our excess bytes unread,
            // and Linux then fails any read after the queued reply with ECONNRESET.
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (in.hasRemaining() && (in.position() == 0 || in.get(in.position() - 1) != '\n')) {
                if (channel.read(in) < 0) {
                    break;
                }
            }
            in.flip();
            return StandardCharsets.UTF_8.decode(in).toString();
        }
    }
}

package io.pmtarget.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.target.ServerFixture.FakeTarget;
import io.pmtarget.target.admin.AdminClient;
import io.pmtarget.target.admin.AdminResponse;
import io.pmtarget.target.config.ConfigLoader;
import io.pmtarget.target.config.ConfigProblemException;
import io.pmtarget.target.config.Portal;
import io.pmtarget.target.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTest {

    @TempDir
    Path dir;
    final ServerFixture fx = new ServerFixture();

    @AfterEach
    void noThreadsLeft() throws InterruptedException {
        assertEquals(Set.of(), ServerFixture.awaitNoPmtargetThreads(), "threads left running");
    }

    @Test
    void startsServesAdminAndStopsCleanly() throws Exception {
        Path dataDir = dir.resolve("data");
        ServerConfig config = ServerFixture.config(dataDir, 0);
        Server<FakeTarget> server = fx.server(config);
        InetSocketAddress bound;
        try {
            server.start();
            assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(dataDir));
            assertEquals(Set.of("v0", "v1"), fx.opened.keySet());
            assertEquals(dataDir.resolve("c1"), fx.opened.get("v1").spec().cachePath());
            assertEquals("java", fx.opened.get("v1").spec().persistence());
            // One listener for the portal both targets share; the OS picked the port.
            assertEquals(1, server.boundAddresses().size());
            bound = server.boundAddresses().get(0);
            assertTrue(bound.getPort() > 0);
            // The target factory got the opened volumes; the pipeline factory got the directory.
            FakeTarget t1 = server.directory().find(ServerFixture.T1.toUpperCase()).orElseThrow().target();
            assertEquals("v1", t1.lunVolumes.get(1).name());
            assertEquals(2, fx.directorySeen.targetsOn(new Portal("127.0.0.1", 0)).size());

            try (Socket socket = new Socket(bound.getAddress(), bound.getPort())) {
                socket.setSoTimeout(5000);
                assertEquals(ServerFixture.GREETING, readLine(socket.getInputStream()));
                assertEquals(1, fx.connections.get());
                checkAdmin(config.server().adminSocket());
                server.close();
                assertEquals(-1, socket.getInputStream().read(), "connection still open after stop");
            }
        } finally {
            server.close();
        }
        assertThrows(ConnectException.class, () -> new Socket(bound.getAddress(), bound.getPort()).close());
        assertEquals(List.of("target:" + ServerFixture.T0, "target:" + ServerFixture.T1, "volume:v0", "volume:v1"),
                fx.closeOrder, "targets stop before volumes, each exactly once");
        assertFalse(Files.exists(config.server().adminSocket()), "admin socket left behind");
        server.close();
        assertEquals(4, fx.closeOrder.size(), "a second close() closed something again");
    }

    private void checkAdmin(Path socket) throws IOException {
        AdminResponse status = AdminClient.request(socket, "status");
        assertTrue(status.ok(), status::errorMessage);
        assertEquals("1000", status.fields().get("volume.v0.blocks_total"));
        assertEquals("900", status.fields().get("volume.v1.blocks_free"));
        assertEquals("fake-java", status.fields().get("volume.v1.persistence_mode"));
        assertEquals("42", status.fields().get("volume.v0.counter.writes"));
        AdminResponse one = AdminClient.request(socket, "status v1");
        assertTrue(one.fields().keySet().stream().allMatch(k -> k.startsWith("volume.v1.")), one.fields()::toString);
        assertTrue(AdminClient.request(socket, "flush v0").ok());
        assertTrue(AdminClient.request(socket, "cleaner v1").ok());
        assertEquals(List.of("flush"), fx.opened.get("v0").messages());
        assertEquals(List.of("cleaner"), fx.opened.get("v1").messages());
        AdminResponse missing = AdminClient.request(socket, "flush nope");
        assertFalse(missing.ok());
        assertEquals("no volume named 'nope' (volumes: v0, v1)", missing.errorMessage());
        assertFalse(AdminClient.request(socket, "flush").ok());
        assertFalse(AdminClient.request(socket, "format v0").ok());
    }

    @Test
    void portInUseFailsCleanly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ServerConfig config = ServerFixture.config(dir.resolve("data"), taken.getLocalPort());
            Server<FakeTarget> server = fx.server(config);
            ServerStartException e = assertThrows(ServerStartException.class, server::start);
            assertTrue(e.getMessage().startsWith("cannot listen on portal 127.0.0.1:" + taken.getLocalPort() + ": "),
                    e.getMessage());
            assertTrue(e.getMessage().toLowerCase().contains("address already in use"), e.getMessage());
            assertEquals(List.of("target:" + ServerFixture.T0, "target:" + ServerFixture.T1, "volume:v0", "volume:v1"),
                    fx.closeOrder, "a failed start must close what it opened");
            assertFalse(Files.exists(config.server().adminSocket()));
        }
        assertEquals(Set.of(), ServerFixture.awaitNoPmtargetThreads());
        // The lock was released: a server on the same data directory starts.
        Server<FakeTarget> again = new ServerFixture().server(ServerFixture.config(dir.resolve("data"), 0));
        again.start();
        again.close();
    }

    @Test
    void volumeOpenFailureClosesTheOthers() throws Exception {
        fx.failOpening = "v1";
        Server<FakeTarget> server = fx.server(ServerFixture.config(dir.resolve("data"), 0));
        ServerStartException e = assertThrows(ServerStartException.class, server::start);
        assertTrue(e.getMessage().startsWith("volume v1: cannot open (cache " + dir.resolve("data/c1")), e.getMessage());
        assertTrue(e.getMessage().contains("injected open failure"), e.getMessage());
        assertEquals(List.of("volume:v0"), fx.closeOrder);
    }

    @Test
    void pipelineFactoryBugIsAStartFailure() throws Exception {
        Server<FakeTarget> server = new Server<>(ServerFixture.config(dir.resolve("data"), 0),
                spec -> new FakeVolume(spec), (target, volumes) -> fx.new FakeTarget(target, volumes),
                (directory, portal) -> {
                    throw new IllegalStateException("no pipeline for " + portal);
                });
        ServerStartException e = assertThrows(ServerStartException.class, server::start);
        assertTrue(e.getMessage().contains("no pipeline for 127.0.0.1:0"), e.getMessage());
        assertEquals(List.of("target:" + ServerFixture.T0, "target:" + ServerFixture.T1), fx.closeOrder);
    }

    @Test
    void secondServerOnOneDataDirIsRefused() throws Exception {
        Server<FakeTarget> first = fx.server(ServerFixture.config(dir.resolve("data"), 0));
        first.start();
        try {
            ServerFixture other = new ServerFixture();
            Server<FakeTarget> second = other.server(ServerFixture.config(dir.resolve("data"), 0));
            ServerStartException e = assertThrows(ServerStartException.class, second::start);
            assertTrue(e.getMessage().contains("is in use by another pmtarget server"), e.getMessage());
            assertTrue(other.opened.isEmpty(), "the second server opened volumes");
            assertTrue(AdminClient.request(first.config().server().adminSocket(), "ping").ok());
        } finally {
            first.close();
        }
    }

    @Test
    void badConfigTouchesNoFiles() throws Exception {
        Path dataDir = dir.resolve("data");
        String text = ServerFixture.configText(dataDir, 0).replace("volume = v1", "volume = v2");
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, text);
        assertThrows(ConfigProblemException.class, () -> new ConfigLoader(o -> { }).load(file, null, dir));
        try (var entries = Files.list(dir)) {
            assertEquals(List.of(file), entries.toList(), "loading a bad config created files");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0; b = in.read()) {
            line.append((char) b);
            if (b == '\n') {
                break;
            }
        }
        return line.toString();
    }
}

package io.pmtarget.target.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.target.Server;
import io.pmtarget.target.ServerFixture;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PmtargetCommandTest {

    @TempDir
    Path dir;

    /** One CLI run's exit code and output. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PmtargetCommand.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @AfterEach
    void restoreWiring() {
        ServerWiring.install(ServerWiring::productionServer);
    }

    @Test
    void versionAndUsage() {
        Run version = run("version");
        assertEquals(0, version.code());
        assertTrue(version.out().matches("pmtarget \\d+\\.\\d+\\.\\d+\\S*\\R"), version.out());
        assertEquals(version.out(), run("--version").out());
        Run help = run("--help");
        assertEquals(0, help.code());
        for (String sub : List.of("serve", "status", "flush", "cleaner", "version", "check-config")) {
            assertTrue(help.out().contains(sub), sub + " missing from help: " + help.out());
        }
        assertEquals(2, run().code());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run("flush").code(), "flush needs a VOLUME");
        assertEquals(2, run("status", "a", "b").code());
        assertEquals(2, run("check-config").code());
    }

    @Test
    void cacheToolFormatsAndInspectsOffline(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path cache = dir.resolve("c.cache");
        assertEquals(0, run("cache-tool", "format", cache.toString(), "--block-size", "4096", "--size",
                Long.toString(4L << 20)).code());
        assertEquals(0, run("cache-tool", "inspect", cache.toString()).code());
        java.nio.file.Path foreign = dir.resolve("foreign.cache");
        byte[] junk = new byte[1 << 20];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        java.nio.file.Files.write(foreign, junk);
        assertTrue(run("cache-tool", "inspect", foreign.toString()).code() != 0, "foreign header refused");
        assertEquals(2, run("cache-tool").code(), "usage error without a command");
    }

    @Test
    void checkConfig() throws Exception {
        Path good = dir.resolve("good.conf");
        Files.writeString(good, ServerFixture.configText(dir.resolve("data"), 3260));
        Run ok = run("check-config", good.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().startsWith(good + ": OK: 2 volume(s), 2 target(s), portals [127.0.0.1:3260]"), ok.out());

        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, ServerFixture.configText(dir.resolve("data"), 3260).replace("cache-size = 1MiB,", "cache-size = 1MiB, colour = red,"));
        Run failed = run("check-config", bad.toString());
        assertEquals(1, failed.code());
        assertTrue(failed.err().startsWith(bad + ":3: volumes.v0.colour: unknown key"), failed.err());
        assertTrue(failed.err().contains(bad + ":4: volumes.v1.colour: unknown key"), failed.err());
        assertFalse(Files.exists(dir.resolve("data")));
    }

    @Test
    void serveWithBadConfigCreatesNothing() throws Exception {
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, ServerFixture.configText(dir.resolve("data"), 0).replace("volume = v0", "volume = v9"));
        Run run = run("serve", "--config", bad.toString());
        assertEquals(1, run.code());
        assertTrue(run.err().contains(bad + ":7: targets.\"iqn.2026-11.io.pmtarget:t0\".luns.0.volume: no volume named 'v9'"),
                run.err());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(bad), files.toList());
        }
    }

    @Test
    void serveRunsUntilStoppedThenAdminCommandsWork() throws Exception {
        ServerFixture fx = new ServerFixture();
        AtomicReference<Server<?>> started = new AtomicReference<>();
        ServerWiring.install(config -> {
            Server<?> server = fx.server(config);
            started.set(server);
            return server;
        });
        Path file = dir.resolve("s.conf");
        Path dataDir = dir.resolve("d");
        Files.writeString(file, ServerFixture.configText(dir.resolve("ignored"), 0));
        CompletableFuture<Run> serve = CompletableFuture.supplyAsync(
                () -> run("serve", "--config", file.toString(), "--data-dir", dataDir.toString()));
        Path socket = dataDir.resolve("admin.sock");
        long deadlineNs = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(socket) && System.nanoTime() < deadlineNs && !serve.isDone()) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(socket), () -> "server did not start: " + (serve.isDone() ? serve.join() : "running"));
        try {
            // The socket file appears at bind(), a moment before listen(): until then a connect is refused.
            Run status = run("status", "--socket", socket.toString());
            while (status.code() != 0 && status.err().contains("Connection refused") && System.nanoTime() < deadlineNs) {
                Thread.sleep(20);
                status = run("status", "--socket", socket.toString());
            }
            assertEquals(0, status.code(), status.err());
            assertTrue(status.out().startsWith("volume v0\n  error                            -\n"), status.out());
            assertTrue(status.out().contains("  blocks_total                     1000\n"), status.out());
            assertTrue(status.out().contains("  counters\n    messages                       0\n"), status.out());
            assertTrue(status.out().contains("volume v1\n"), status.out());
            // Without --socket the admin socket comes from --config/--data-dir.
            Run flush = run("flush", "v1", "--config", file.toString(), "--data-dir", dataDir.toString());
            assertEquals(0, flush.code(), flush.err());
            assertEquals(List.of("flush"), fx.opened.get("v1").messages());
            Run cleaner = run("cleaner", "v0", "--socket", socket.toString());
            assertEquals(0, cleaner.code(), cleaner.err());
            assertEquals(List.of("cleaner"), fx.opened.get("v0").messages());
            Run missing = run("status", "v7", "--socket", socket.toString());
            assertEquals(1, missing.code());
            assertEquals("pmtarget: no volume named 'v7' (volumes: v0, v1)\n", missing.err());
        } finally {
            started.get().close();
        }
        Run served = serve.get(10, TimeUnit.SECONDS);
        assertEquals(0, served.code(), served.err());
        Run down = run("status", "--socket", socket.toString());
        assertEquals(1, down.code());
        assertTrue(down.err().startsWith("pmtarget: cannot reach the server at " + socket), down.err());
    }

    @Test
    void serveReportsStartFailure() throws Exception {
        ServerFixture fx = new ServerFixture();
        fx.failOpening = "v0";
        ServerWiring.install(fx::server);
        Path file = dir.resolve("s.conf");
        Files.writeString(file, ServerFixture.configText(dir.resolve("d"), 0));
        Run run = run("serve", "--config", file.toString());
        assertEquals(1, run.code());
        assertTrue(run.err().startsWith("pmtarget: not started: volume v0: cannot open"), run.err());
    }
}

package io.pmtarget.target.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.target.ServerFixture;
import io.pmtarget.target.admin.AdminClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} as a real process: SIGTERM and SIGINT stop it cleanly with exit status 0. */
class ServeProcessTest {

    @TempDir
    Path dir;

    @Test
    void sigtermStopsWithExitZero() throws Exception {
        stopWith("TERM");
    }

    @Test
    void sigintStopsWithExitZero() throws Exception {
        stopWith("INT");
    }

    private void stopWith(String signal) throws Exception {
        Path file = dir.resolve("s.conf");
        Path dataDir = dir.resolve("data");
        Files.writeString(file, ServerFixture.configText(dataDir, 0));
        Path log = dir.resolve("stderr.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                FakeServeMain.class.getName(), "serve", "--config", file.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path socket = dataDir.resolve("admin.sock");
            long deadlineNs = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket) && process.isAlive() && System.nanoTime() < deadlineNs) {
                Thread.sleep(50);
            }
            assertTrue(Files.exists(socket), () -> "not started: " + read(log));
            assertTrue(AdminClient.request(socket, "ping").ok());
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "did not stop after SIG" + signal);
            String output = read(log);
            assertEquals(0, process.exitValue(), output);
            assertTrue(output.contains("received SIG" + signal + ": stopping"), output);
            assertTrue(output.contains("pmtarget stopped"), output);
            assertFalse(Files.exists(socket), "admin socket left behind");
        } finally {
            process.destroyForcibly();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}

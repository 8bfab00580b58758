package io.pmtarget.engine.pmem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Write + drain in a child JVM, kill -9 it, reopen: everything drained must be there. */
class KillNineTest {

    private static final long CHILD_TIMEOUT_SECONDS = 60;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void drainedDataSurvivesSigkill(String persistence) throws Exception {
        if (persistence.equals("native")) {
            assumeTrue(NativeExpectation.nativeLoads(), "native helper not loaded");
        }
        Path file = dir.resolve("crash.pmem");
        PmemDevices.open(file, 64 * 1024, "java").close(); // create it zeroed
        Process child = startChild(file, persistence);
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (line == null) {
                throw new AssertionError("child exited before writing (exit " + waitExit(child) + ")");
            }
            assertTrue(line.startsWith(CrashChild.READY + " " + persistence), line);
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux
            assertTrue(child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS), "child did not die");
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL (128 + 9)");
        try (PmemDevice d = PmemDevices.open(file, 0, "java")) {
            byte[] back = new byte[CrashChild.BLOCK_BYTES];
            d.read(CrashChild.BLOCK_OFFSET, ByteBuffer.wrap(back));
            assertArrayEquals(CrashChild.block(), back);
            assertEquals(CrashChild.WORD, d.readLong(CrashChild.WORD_OFFSET));
            assertEquals(~CrashChild.WORD, d.readLong(CrashChild.PERSIST_WORD_OFFSET));
            assertEquals(0, d.readLong(0), "untouched bytes stay zero");
        }
    }

    private static int waitExit(Process p) throws InterruptedException {
        return p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    private static Process startChild(Path file, String persistence) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Same module flags as this JVM (Chronicle's --add-opens etc.), none of the debugger/agent ones.
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("-D") || arg.startsWith("--enable-native-access")
                    || arg.startsWith("--sun-misc")) {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashChild.class.getName());
        cmd.add(file.toString());
        cmd.add(persistence);
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}

package io.pmtarget.it.crash;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.IscsiUrl;
import io.pmtarget.it.support.Tools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running iscsi-crashload process ({@code it/src/test/c/iscsi-crashload.c}, built once per JVM
 * with gcc against libiscsi-dev). A reader thread collects its stdout lines as they are printed,
 * so what was acknowledged before a kill is known exactly; stderr goes to a file.
 */
final class CrashLoad implements AutoCloseable {

    /** Workload shape: see the usage line of iscsi-crashload.c. */
    record Params(int round, long seed, long baseLba, long slots, int blocksPerWrite, int syncOneIn,
                  int fuaPercent, long maxMs, long maxWrites) {
    }

    private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(120);
    private static final String NAME = "iscsi-crashload";
    private static Path binary;

    private final Process process;
    private final List<String> lines = new ArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Thread reader;
    private final Path stderr;

    private CrashLoad(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(this::readLines, NAME + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    static synchronized Path binary() {
        if (binary != null) {
            return binary;
        }
        Path gcc = Tools.require("gcc");
        Tools.requireFile(Path.of("/usr/include/iscsi/iscsi.h"), "libiscsi-dev");
        Path source = Path.of(System.getProperty("it.csource", "src/test/c")).resolve(NAME + ".c");
        Path outDir = Path.of(System.getProperty("it.cbuild", "target/c"));
        try {
            Files.createDirectories(outDir);
            Path tmp = Files.createTempFile(outDir, NAME + "-", ".bin");
            Exec.Result r = Exec.run(List.of(gcc.toString(), "-O2", "-Wall", "-Werror", "-o", tmp.toString(),
                    source.toString(), "-liscsi"), BUILD_TIMEOUT);
            if (!r.ok()) {
                throw new AssertionError("cannot build " + source + ": " + r.describe());
            }
            binary = Files.move(tmp, outDir.resolve(NAME), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            return binary;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static CrashLoad start(IscsiUrl url, String initiator, Params p, Path stderrFile) throws IOException {
        List<String> cmd = List.of(binary().toString(), "-i", initiator, "-r", Integer.toString(p.round()),
                "-s", Long.toString(p.seed()), "-b", Long.toString(p.baseLba()), "-n", Long.toString(p.slots()),
                "-k", Integer.toString(p.blocksPerWrite()), "-y", Integer.toString(p.syncOneIn()),
                "-f", Integer.toString(p.fuaPercent()), "-m", Long.toString(p.maxMs()),
                "-w", Long.toString(p.maxWrites()), url.toString());
        Process process = new ProcessBuilder(cmd).redirectError(stderrFile.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        return new CrashLoad(process, stderrFile);
    }

    private void readLines() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.US_ASCII))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                synchronized (lines) {
                    lines.add(line);
                }
                if (line.startsWith("START ")) {
                    started.countDown();
                }
            }
        } catch (IOException e) {
            synchronized (lines) {
                lines.add("ERR 0 reading the tool's stdout failed: " + e);
            }
        } finally {
            started.countDown();
        }
    }

    /** Waits until the tool has logged in and printed START; false if it ended first or timed out. */
    boolean awaitStart(Duration timeout) throws InterruptedException {
        return started.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && snapshot().stream()
                .anyMatch(l -> l.startsWith("START "));
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Waits for the tool to exit and for its last line to be read; returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
            reader.join(5000);
            throw new AssertionError(NAME + " did not exit within " + timeout.toMillis()
                    + " ms after the target went away; last lines: " + tail());
        }
        reader.join(timeout.toMillis());
        return process.exitValue();
    }

    List<String> snapshot() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    String tail() {
        List<String> all = snapshot();
        String err;
        try {
            err = Files.readString(stderr);
        } catch (IOException e) {
            err = "(stderr unreadable: " + e + ")";
        }
        return String.join("\n", all.subList(Math.max(0, all.size() - 10), all.size())) + "\n--- stderr ---\n" + err;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}

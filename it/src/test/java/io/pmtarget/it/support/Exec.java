package io.pmtarget.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short-lived command with a timeout; output goes to files so no pipe can fill up. */
public final class Exec {

    /**
     * @param exitCode  process exit code, or -1 if it was killed on timeout
     * @param timedOut  true if the timeout expired
     */
    public record Result(List<String> command, int exitCode, boolean timedOut, String stdout,
                         String stderr, Duration elapsed) {

        public boolean ok() {
            return !timedOut && exitCode == 0;
        }

        /** Message for assertions: the command, exit code and both streams (truncated). */
        public String describe() {
            return String.join(" ", command) + " -> " + (timedOut ? "TIMED OUT" : "exit " + exitCode)
                    + "\n--- stdout ---\n" + tail(stdout) + "\n--- stderr ---\n" + tail(stderr);
        }

        private static String tail(String s) {
            int maxChars = 4000;
            return s.length() <= maxChars ? s : "..." + s.substring(s.length() - maxChars);
        }
    }

    private Exec() {
    }

    public static Result run(List<String> command, Duration timeout, Path stdin) {
        try {
            Path out = Files.createTempFile("exec-", ".out");
            Path err = Files.createTempFile("exec-", ".err");
            try {
                return run(command, timeout, stdin, out, err);
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Result run(List<String> command, Duration timeout) {
        return run(command, timeout, null);
    }

    /** Runs with stdout/stderr kept in the given files (for large logs such as iscsi-test-cu -V). */
    public static Result run(List<String> command, Duration timeout, Path stdin, Path out, Path err) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                : ProcessBuilder.Redirect.from(stdin.toFile()));
        long startNs = System.nanoTime();
        try {
            Process p = pb.start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - startNs);
            return new Result(command, done ? p.exitValue() : -1, !done, read(out), read(err), elapsed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.ISO_8859_1);
    }
}

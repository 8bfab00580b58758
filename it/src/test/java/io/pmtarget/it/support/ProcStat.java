package io.pmtarget.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time of a process from /proc (proc(5)): utime + stime of every thread in
 * /proc/PID/task/TID/stat. /proc/PID/stat alone already sums live threads, but threads that
 * have exited are only in the process total, so we take the larger of the two sums. FACTS.md:
 * tgtd's main thread is only about two thirds of its cost, so one thread is not enough.
 */
public final class ProcStat {

    /** USER_HZ is 100 on every Linux we run on (sysconf(_SC_CLK_TCK)); checked via getconf once. */
    private static final long TICKS_PER_SECOND = clockTicks();

    private ProcStat() {
    }

    public static Duration cpuTime(long pid) {
        long processTicks = ticks(Path.of("/proc", Long.toString(pid), "stat"));
        long threadTicks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    threadTicks += ticks(task.resolve("stat"));
                } catch (UncheckedIOException gone) {
                    // A thread may exit between listing and reading; its time moves into the process total.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list threads of pid " + pid, e);
        }
        long total = Math.max(processTicks, threadTicks);
        return Duration.ofMillis(total * 1000 / TICKS_PER_SECOND);
    }

    /** utime (field 14) + stime (field 15); fields counted after the ")" that ends comm. */
    static long ticks(Path stat) {
        String line;
        try {
            line = Files.readString(stat);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException("process gone: " + stat, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stat, e);
        }
        String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field N is f[N - 3].
        return Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3]);
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}

package io.pmtarget.it.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Our server as a separate JVM: {@code java <it.jvm.flags> -cp <classpath> MAIN serve --config FILE},
 * MAIN = {@link #MAIN_CLASS} (the picocli entry point on config-cli; override with
 * {@code -Dit.pmtarget.main=...}). The classpath comes from the system
 * property {@code it.server.classpath} (the it module's test classpath, set by the pom via
 * dependency:build-classpath), else from this JVM's own class path. The JVM flags come from
 * {@code it.jvm.flags} (the parent pom's {@code ${test.jvm.flags}}).
 *
 * <p>Stop: SIGTERM (the server should flush and exit), SIGKILL after {@link #STOP_TIMEOUT}.
 * stdout/stderr go to {@code workDir/server-N.out|err} and are named in every failure.
 */
public final class PmtargetServer implements TargetUnderTest {

    public static final String MAIN_CLASS = System.getProperty("it.pmtarget.main",
            "io.pmtarget.target.cli.PmtargetCommand");
    public static final String IQN = "iqn.2026-11.io.pmtarget.it:pmtarget";
    private static final int DATA_LUN = 0;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    private final TargetOptions options;
    private final Path workDir;
    private final Path dataDir;
    private final Path configFile;
    private final int port;
    private Process process;
    private int starts;
    private Integer lastExitCode;

    public PmtargetServer(TargetOptions options) {
        this.options = options;
        this.workDir = Net.workDir("pmtarget");
        this.dataDir = Net.shmDir("pmtarget");
        this.configFile = workDir.resolve("pmtarget.conf");
        this.port = Net.freeLoopbackPort();
    }

    @Override
    public String name() {
        return "pmtarget";
    }

    @Override
    public void start() throws IOException {
        if (process != null) {
            throw new IllegalStateException("pmtarget already started (pid " + process.pid() + ")");
        }
        if (!Files.exists(configFile)) {
            PmtargetConfig.write(configFile, dataDir, port, IQN, DATA_LUN, options);
        }
        starts++;
        Path out = workDir.resolve("server-" + starts + ".out");
        Path err = workDir.resolve("server-" + starts + ".err");
        List<String> cmd = command();
        Path cmdFile = workDir.resolve("server-" + starts + ".cmd");
        Files.writeString(cmdFile, String.join(" ", cmd) + "\n");
        process = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            Net.awaitPort(port, START_TIMEOUT, process::isAlive, "pmtarget server");
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("pmtarget server (" + MAIN_CLASS + " serve) did not come up: "
                    + e.getMessage() + "\n--- stderr " + err + " ---\n" + tail(err)
                    + "\n--- stdout " + out + " ---\n" + tail(out)
                    + "\n--- full command: " + cmdFile + ", config: " + configFile, e);
        }
    }

    private List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Tools.require("setsid").toString());
        cmd.addAll(cliCommand("serve", "--config", configFile.toString()));
        return cmd;
    }

    /** {@code java <it.jvm.flags> -cp <server classpath> MAIN_CLASS args...}, for any CLI subcommand. */
    public static List<String> cliCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : System.getProperty("it.jvm.flags", "-ea").trim().split("\\s+")) {
            if (!flag.isEmpty()) {
                cmd.add(flag);
            }
        }
        cmd.add("-cp");
        cmd.add(classpath());
        cmd.add(MAIN_CLASS);
        cmd.addAll(List.of(args));
        return cmd;
    }

    static String classpath() {
        String cp = System.getProperty("it.server.classpath", "");
        if (cp.isBlank() || cp.startsWith("${")) {
            cp = System.getProperty("java.class.path");
        }
        String testClasses = System.getProperty("it.test.classes", "");
        return testClasses.isBlank() ? cp : cp + File.pathSeparator + testClasses;
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file);
            int maxChars = 3000;
            return s.length() <= maxChars ? s : "..." + s.substring(s.length() - maxChars);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Override
    public void restart() throws IOException {
        stop();
        start();
    }

    /** Stops the server and deletes its data dir on /dev/shm (RAM); logs and config stay in workDir. */
    @Override
    public void close() {
        stop();
        Net.deleteTree(dataDir);
    }

    @Override
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        lastExitCode = null;
        p.destroyForcibly();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name() + " pid " + p.pid() + " survived SIGKILL for "
                        + STOP_TIMEOUT.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stop() {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        try {
            p.destroy(); // SIGTERM
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly(); // SIGKILL
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
            lastExitCode = p.isAlive() ? null : p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Exit code of the last clean stop: 0 = the server handled SIGTERM and exited cleanly (what
     * ServeCommand promises); 143 = the JVM died of SIGTERM; 137 = it needed SIGKILL after the
     * timeout. Null before the first stop and after {@link #kill()}.
     */
    public Integer lastExitCode() {
        return lastExitCode;
    }

    /** stdout of the latest start. */
    public Path stdoutLog() {
        return workDir.resolve("server-" + starts + ".out");
    }

    /** stderr of the latest start. */
    public Path stderrLog() {
        return workDir.resolve("server-" + starts + ".err");
    }

    public Path configFile() {
        return configFile;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String iqn() {
        return IQN;
    }

    @Override
    public int lun() {
        return DATA_LUN;
    }

    @Override
    public TargetOptions options() {
        return options;
    }

    @Override
    public long pid() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("pmtarget server is not running");
        }
        return p.pid();
    }

    @Override
    public Path workDir() {
        return workDir;
    }

    @Override
    public String toString() {
        return "pmtarget[" + IscsiUrl.HOST + ":" + port + ", " + options.describe() + "]";
    }
}

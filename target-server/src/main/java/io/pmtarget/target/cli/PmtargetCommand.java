package io.pmtarget.target.cli;

import io.pmtarget.target.Version;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code pmtarget}: the launcher's main class. Exit status: 0 success, 1 failure (bad config,
 * server cannot start, admin request failed), 2 usage error.
 */
@Command(name = "pmtarget", mixinStandardHelpOptions = true, versionProvider = PmtargetCommand.VersionProvider.class,
        description = "iSCSI target with a persistent-memory write cache.",
        subcommands = {ServeCommand.class, AdminCommands.Status.class, AdminCommands.Flush.class,
            AdminCommands.Cleaner.class, PmtargetCommand.VersionCommand.class, CheckConfigCommand.class,
            CacheToolCommand.class})
public final class PmtargetCommand implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /** Netty's own switch; when given (e.g. -Dio.netty.leakDetection.level=paranoid), it wins. */
    static final String LEAK_DETECTION_PROPERTY = "io.netty.leakDetection.level";

    public static void main(String[] args) {
        if (System.getProperty(LEAK_DETECTION_PROPERTY) == null) {
            // Netty's default samples 1 in 128 buffers with a stack trace: about 1% of the event loop's
            // CPU at 4 KiB I/O in our profile. The tests run with leak detection on (LeakTrap).
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; what {@link #main} does without exiting (tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new PmtargetCommand());
        commandLine.setOut(out);
        commandLine.setErr(err);
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Command(name = "version", description = "Print the version.")
    static final class VersionCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println("pmtarget " + Version.version());
            return EXIT_OK;
        }
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"pmtarget " + Version.version()};
        }
    }
}

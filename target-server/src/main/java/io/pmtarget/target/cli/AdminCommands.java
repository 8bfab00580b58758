package io.pmtarget.target.cli;

import io.pmtarget.target.admin.AdminClient;
import io.pmtarget.target.admin.AdminResponse;
import io.pmtarget.target.config.ConfigProblemException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code status}, {@code flush}, {@code cleaner}: requests to a running server over its admin socket. */
final class AdminCommands {

    private AdminCommands() {
    }

    /** Finds the socket (--socket, else the config's server.admin-socket) and sends one request. */
    abstract static class Base implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions options;

        @Option(names = "--socket", paramLabel = "PATH",
                description = "Admin socket of the server (default: server.admin-socket of the config).")
        Path socket;

        abstract String request();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path target = socket;
            if (target == null) {
                try {
                    target = options.load().server().adminSocket();
                } catch (ConfigProblemException e) {
                    e.problems().forEach(err::println);
                    return PmtargetCommand.EXIT_FAILURE;
                }
            }
            AdminResponse response;
            try {
                response = AdminClient.request(target, request());
            } catch (IOException e) {
                err.println("pmtarget: cannot reach the server at " + target + " (is `pmtarget serve` running?): " + e);
                return PmtargetCommand.EXIT_FAILURE;
            }
            if (!response.ok()) {
                err.println("pmtarget: " + response.errorMessage());
                return PmtargetCommand.EXIT_FAILURE;
            }
            StatusPrinter.print(out, response.fields());
            return PmtargetCommand.EXIT_OK;
        }
    }

    @Command(name = "status", description = "Print each volume's status fields and counters.")
    static final class Status extends Base {
        @Parameters(index = "0", arity = "0..1", paramLabel = "VOLUME", description = "Only this volume.")
        String volume;

        @Override
        String request() {
            return volume == null ? "status" : "status " + volume;
        }
    }

    @Command(name = "flush", description = "Commit and write back everything cached in VOLUME (dm-writecache 'flush').")
    static final class Flush extends Base {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        String request() {
            return "flush " + volume;
        }
    }

    @Command(name = "cleaner", description = "Stop caching new writes in VOLUME and drain it (dm-writecache 'cleaner').")
    static final class Cleaner extends Base {
        @Parameters(index = "0", paramLabel = "VOLUME")
        String volume;

        @Override
        String request() {
            return "cleaner " + volume;
        }
    }

    /** Prints {@code volume.NAME.FIELD=value} fields grouped by volume. */
    static final class StatusPrinter {
        private StatusPrinter() {
        }

        static void print(PrintWriter out, Map<String, String> fields) {
            String current = null;
            boolean countersShown = false;
            for (Map.Entry<String, String> field : fields.entrySet()) {
                String key = field.getKey();
                if (!key.startsWith("volume.") || key.indexOf('.', 7) < 0) {
                    out.println(key + " " + field.getValue());
                    continue;
                }
                int dot = key.indexOf('.', 7);
                String name = key.substring(7, dot);
                String rest = key.substring(dot + 1);
                if (!name.equals(current)) {
                    out.println("volume " + name);
                    current = name;
                    countersShown = false;
                }
                if (rest.startsWith("counter.")) {
                    if (!countersShown) {
                        out.println("  counters");
                        countersShown = true;
                    }
                    out.printf("    %-30s %s%n", rest.substring(8), field.getValue());
                } else {
                    out.printf("  %-32s %s%n", rest, field.getValue().isEmpty() ? "-" : field.getValue());
                }
            }
        }
    }
}

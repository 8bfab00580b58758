package io.pmtarget.target.cli;

import io.pmtarget.target.config.ConfigLoader;
import io.pmtarget.target.config.ConfigProblemException;
import io.pmtarget.target.config.ServerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pmtarget check-config FILE}: validates without touching any data file. */
@Command(name = "check-config", description = "Validate a config file; touches no data file.")
final class CheckConfigCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Config file to check.")
    Path file;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Overrides server.data-dir.")
    Path dataDir;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ServerConfig config;
        try {
            config = new ConfigLoader().load(file, dataDir, Path.of("").toAbsolutePath());
        } catch (ConfigProblemException e) {
            e.problems().forEach(err::println);
            err.println(file + ": " + e.problems().size() + " error(s)");
            return PmtargetCommand.EXIT_FAILURE;
        }
        config.warnings().forEach(w -> err.println("warning: " + w));
        out.println(file + ": OK: " + config.volumes().size() + " volume(s), " + config.targets().size()
                + " target(s), portals " + config.portals() + ", data-dir " + config.server().dataDir());
        return PmtargetCommand.EXIT_OK;
    }
}

package io.pmtarget.target.cli;

import io.pmtarget.target.Server;
import io.pmtarget.target.ServerStartException;
import io.pmtarget.target.config.ConfigProblemException;
import io.pmtarget.target.config.ServerConfig;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code pmtarget serve}: validate the config, start, run until SIGTERM/Ctrl-C, stop cleanly, exit 0. */
@Command(name = "serve", description = "Run the iSCSI target server until SIGTERM or Ctrl-C.")
final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ServerConfig config;
        try {
            config = options.load();
        } catch (ConfigProblemException e) {
            e.problems().forEach(err::println);
            err.println("pmtarget: not started: the config has " + e.problems().size() + " error(s)");
            return PmtargetCommand.EXIT_FAILURE;
        }
        config.warnings().forEach(w -> LOG.warn("config: {}", w));
        LOG.info("config: {}", config.source());
        Server<?> server = ServerWiring.create(config);
        Thread hook = new Thread(server::close, "pmtarget-shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);
        Signals.onTerminate(server::close);
        try {
            server.start();
        } catch (ServerStartException e) {
            LOG.debug("start failed", e);
            err.println("pmtarget: not started: " + e.getMessage());
            removeHook(hook);
            return PmtargetCommand.EXIT_FAILURE;
        }
        server.awaitStopped();
        removeHook(hook);
        return PmtargetCommand.EXIT_OK;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook is running or has run.
        }
    }
}

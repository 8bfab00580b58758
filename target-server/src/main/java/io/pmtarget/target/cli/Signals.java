package io.pmtarget.target.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT (Ctrl-C) run a graceful stop and let {@code serve} exit 0. A plain shutdown
 * hook would also stop the server, but the JVM then exits 143/130; handling the signals keeps the
 * exit status an honest "stopped as asked". Falls back to the hook if sun.misc.Signal is missing.
 */
final class Signals {

    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    /** @return true when the signal handlers are installed */
    @SuppressWarnings("removal")
    static boolean onTerminate(Runnable stop) {
        try {
            for (String name : new String[] {"TERM", "INT"}) {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> {
                    LOG.info("received SIG{}: stopping", signal.getName());
                    Thread stopper = new Thread(stop, "pmtarget-stop");
                    stopper.start();
                });
            }
            return true;
        } catch (LinkageError | IllegalArgumentException e) {
            LOG.warn("cannot handle SIGTERM/SIGINT ({}); stopping from a shutdown hook instead", e.toString());
            return false;
        }
    }
}

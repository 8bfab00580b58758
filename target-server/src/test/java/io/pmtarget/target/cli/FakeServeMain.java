package io.pmtarget.target.cli;

import io.pmtarget.target.ServerFixture;
import java.io.PrintWriter;

/** {@code pmtarget} with fake volumes and a dummy pipeline, run as a child process by {@link ServeProcessTest}. */
public final class FakeServeMain {

    private FakeServeMain() {
    }

    public static void main(String[] args) {
        ServerFixture fx = new ServerFixture();
        ServerWiring.install(fx::server);
        System.exit(PmtargetCommand.run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }
}

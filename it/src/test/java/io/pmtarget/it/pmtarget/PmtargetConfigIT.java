package io.pmtarget.it.pmtarget;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.Net;
import io.pmtarget.it.support.PmtargetConfig;
import io.pmtarget.it.support.PmtargetServer;
import io.pmtarget.it.support.TargetOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The configs the harness writes for our server pass the server's own validation
 * ({@code pmtarget check-config FILE}). Not gated: it needs only the CLI, not a serving server,
 * so a config-format change on the server side shows up here at once, not as a start failure.
 */
class PmtargetConfigIT {

    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    @Test
    void plainAndFullyOptionedConfigsPassCheckConfig() throws Exception {
        List<TargetOptions> variants = List.of(TargetOptions.defaults(),
                TargetOptions.defaults().withLunSizeBytes(64 * TargetOptions.MIB)
                        .withChap("it-initiator", "initiator-secret-1")
                        .withMutualChap("it-target", "target-secret-22").withHeaderDigest(true));
        Path dir = Net.workDir("config");
        int i = 0;
        for (TargetOptions o : variants) {
            Path file = dir.resolve("variant-" + i++ + ".conf");
            PmtargetConfig.write(file, dir.resolve("data"), Net.freeLoopbackPort(), PmtargetServer.IQN, 0, o);
            Exec.Result r = Exec.run(PmtargetServer.cliCommand("check-config", file.toString()), CLI_TIMEOUT);
            assertTrue(r.ok() && r.stdout().contains(": OK:"), "config for " + o.describe() + " (" + file
                    + ") rejected by " + PmtargetServer.MAIN_CLASS + " check-config:\n" + r.describe());
        }
    }
}

package io.pmtarget.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Which targets the parametrized tests run against. tgtd always; our server only with
 * {@code -Dit.pmtarget=true} until target-server can serve (the coordinator turns it on).
 * Each entry is a named factory so JUnit shows "tgtd" / "pmtarget" as the parameter.
 */
public final class Targets {

    public static final String ENABLE_PROPERTY = "it.pmtarget";
    public static final String DISABLED_NOTE = "pmtarget (our server) is NOT tested in this run: "
            + "it is gated off until target-server serves; enable with -D" + ENABLE_PROPERTY + "=true";

    /** A named factory; {@code toString()} is the name shown in test reports. */
    public record Factory(String name, Function<TargetOptions, TargetUnderTest> create) {
        public TargetUnderTest start(TargetOptions options) throws Exception {
            TargetUnderTest t = create.apply(options);
            try {
                t.start();
            } catch (Exception | Error e) {
                t.close();
                throw e;
            }
            return t;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    public static final Factory TGTD = new Factory("tgtd", TgtdTarget::new);
    public static final Factory PMTARGET = new Factory("pmtarget", PmtargetServer::new);

    private Targets() {
    }

    public static boolean pmtargetEnabled() {
        return Boolean.getBoolean(ENABLE_PROPERTY);
    }

    /** Targets for parametrized tests; prints {@link #DISABLED_NOTE} when ours is gated off. */
    public static List<Factory> enabled() {
        List<Factory> list = new ArrayList<>(List.of(TGTD));
        if (pmtargetEnabled()) {
            list.add(PMTARGET);
        } else {
            System.err.println("NOTE: " + DISABLED_NOTE);
        }
        return list;
    }
}

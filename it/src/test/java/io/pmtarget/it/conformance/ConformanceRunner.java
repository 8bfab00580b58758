package io.pmtarget.it.conformance;

import io.pmtarget.it.support.Exec;
import io.pmtarget.it.support.TargetUnderTest;
import io.pmtarget.it.support.Tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs libiscsi's SCSI/iSCSI conformance suite ({@code iscsi-test-cu}) against a target: one
 * process per top-level suite (FACTS.md: in 1.19 a hook of one test leaks into later ones when
 * all run in one process), data loss allowed ({@code -d}) because the LUN is scratch, both
 * initiator names set (reservation and multipath tests log in twice), the URL given twice for
 * MultipathIO, sanitize allowed ({@code -S}: scratch LUN, and a skip then says whether the target
 * implements SANITIZE rather than that the harness forbade it), verbose SCSI logging ({@code -V -v})
 * kept in one log per suite.
 */
public final class ConformanceRunner {

    public static final String INITIATOR_1 = "iqn.2026-11.io.pmtarget.it:initiator-1";
    public static final String INITIATOR_2 = "iqn.2026-11.io.pmtarget.it:initiator-2";
    /** The "ALL" family holds each test once; SCSI/iSCSI/LINUX are overlapping views of it. */
    private static final String FAMILY = "ALL";
    private static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);

    /** A suite and its tests, as {@code iscsi-test-cu -l} lists them. */
    public record Suite(String name, List<String> tests) {
        public boolean multipath() {
            return name.endsWith(".MultipathIO");
        }
    }

    /** All outcomes of one target, plus wall time and the target process's CPU time for the run. */
    public record Run(String target, String targetDescription, List<TestOutcome> outcomes, Duration elapsed,
                      Duration targetCpu) {
        public long count(TestOutcome.Result r) {
            return outcomes.stream().filter(o -> o.result() == r).count();
        }

        public Map<String, TestOutcome> byName() {
            Map<String, TestOutcome> m = new LinkedHashMap<>();
            outcomes.forEach(o -> m.put(o.fullName(), o));
            return m;
        }
    }

    private final Path outDir;
    private final Duration suiteTimeout;

    /**
     * @param outDir       receives logs/TARGET/SUITE.log, TARGET.tsv and TARGET.md
     * @param suiteTimeout per-suite limit; a suite over it is killed and its tests are NOT_RUN
     */
    public ConformanceRunner(Path outDir, Duration suiteTimeout) {
        this.outDir = outDir;
        this.suiteTimeout = suiteTimeout;
    }

    /** Top-level suites of the ALL family with their tests, from {@code iscsi-test-cu -l}. */
    public static List<Suite> listSuites() {
        Exec.Result r = Exec.run(List.of(Tools.require("iscsi-test-cu").toString(), "-l"), LIST_TIMEOUT);
        if (!r.ok()) {
            throw new IllegalStateException("iscsi-test-cu -l failed: " + r.describe());
        }
        Map<String, List<String>> suites = new LinkedHashMap<>();
        for (String line : r.stdout().split("\n")) {
            String[] parts = line.trim().split("\\.");
            if (parts.length == 2 && parts[0].equals(FAMILY)) {
                suites.put(line.trim(), new ArrayList<>());
            } else if (parts.length == 3 && parts[0].equals(FAMILY)) {
                suites.computeIfAbsent(parts[0] + "." + parts[1], k -> new ArrayList<>()).add(parts[2]);
            }
        }
        List<Suite> list = new ArrayList<>();
        suites.forEach((name, tests) -> list.add(new Suite(name, List.copyOf(tests))));
        if (list.isEmpty()) {
            throw new IllegalStateException("iscsi-test-cu -l listed no " + FAMILY + ".* suites:\n" + r.stdout());
        }
        return list;
    }

    public Run run(TargetUnderTest target, List<Suite> suites) throws IOException {
        Path logDir = outDir.resolve("logs").resolve(target.name());
        Files.createDirectories(logDir);
        List<TestOutcome> all = new ArrayList<>();
        long startNs = System.nanoTime();
        Duration cpuBefore = target.cpuTime();
        for (Suite suite : suites) {
            all.addAll(runSuite(target, suite, logDir));
        }
        Run run = new Run(target.name(), target.toString(), List.copyOf(all),
                Duration.ofNanos(System.nanoTime() - startNs), target.cpuTime().minus(cpuBefore));
        ConformanceReport.writeRun(outDir, run);
        return run;
    }

    private List<TestOutcome> runSuite(TargetUnderTest target, Suite suite, Path logDir) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Tools.require("iscsi-test-cu").toString(),
                "-d", "-S", "-V", "-v", "-t", suite.name(),
                "--initiator-name=" + INITIATOR_1, "--initiator-name-2=" + INITIATOR_2,
                target.url().toString()));
        if (suite.multipath()) {
            cmd.add(target.url().toString());
        }
        Path log = logDir.resolve(suite.name() + ".log");
        Path err = logDir.resolve(suite.name() + ".err");
        Exec.Result r = Exec.run(cmd, suiteTimeout, null, log, err);
        List<TestOutcome> parsed = CunitVerboseParser.parse(suite.name(),
                Files.readString(log, StandardCharsets.ISO_8859_1));
        return completeWithNotRun(suite, parsed, r);
    }

    /** Every listed test gets an outcome: the ones the output never reported become NOT_RUN. */
    private List<TestOutcome> completeWithNotRun(Suite suite, List<TestOutcome> parsed, Exec.Result r) {
        Set<String> seen = new LinkedHashSet<>();
        List<TestOutcome> out = new ArrayList<>();
        for (TestOutcome o : parsed) {
            if (seen.add(o.test())) {
                out.add(o);
            }
        }
        String why = r.timedOut() ? "suite timed out after " + suiteTimeout.toSeconds() + " s"
                : "suite process exited " + r.exitCode() + " before reporting this test";
        for (String test : suite.tests()) {
            if (!seen.contains(test)) {
                out.add(new TestOutcome(suite.name(), test, TestOutcome.Result.NOT_RUN, why));
            }
        }
        return out;
    }
}

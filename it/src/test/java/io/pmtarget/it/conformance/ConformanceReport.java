package io.pmtarget.it.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Writes TARGET.tsv (machine-readable), TARGET.md and the side-by-side summary.md. */
public final class ConformanceReport {

    private ConformanceReport() {
    }

    static void writeRun(Path outDir, ConformanceRunner.Run run) throws IOException {
        StringBuilder tsv = new StringBuilder("suite\ttest\tresult\treason\n");
        run.outcomes().forEach(o -> tsv.append(o.tsv()).append('\n'));
        Files.writeString(outDir.resolve(run.target() + ".tsv"), tsv);
        Files.writeString(outDir.resolve(run.target() + ".md"), markdown(run));
    }

    public static String countsLine(ConformanceRunner.Run run) {
        return String.format("%s: %d tests, %d passed, %d failed, %d skipped, %d not run, %.1f s wall, "
                        + "%.2f s target CPU",
                run.target(), run.outcomes().size(), run.count(TestOutcome.Result.PASSED),
                run.count(TestOutcome.Result.FAILED), run.count(TestOutcome.Result.SKIPPED),
                run.count(TestOutcome.Result.NOT_RUN), run.elapsed().toMillis() / 1000.0,
                run.targetCpu().toMillis() / 1000.0);
    }

    static String markdown(ConformanceRunner.Run run) {
        StringBuilder md = new StringBuilder();
        md.append("# iscsi-test-cu against ").append(run.target()).append("\n\n");
        md.append(run.targetDescription()).append("\n\n");
        md.append(countsLine(run)).append("\n\n");
        md.append("| suite | test | result | reason |\n|---|---|---|---|\n");
        for (TestOutcome o : run.outcomes()) {
            if (o.result() != TestOutcome.Result.PASSED) {
                md.append("| ").append(o.suite()).append(" | ").append(o.test()).append(" | ")
                        .append(o.result()).append(" | ").append(o.reason().replace("|", "\\|")).append(" |\n");
            }
        }
        return md.toString();
    }

    /** Tests that fail (or do not run) on {@code ours} but pass on {@code reference}. */
    public static List<String> regressions(ConformanceRunner.Run reference, ConformanceRunner.Run ours) {
        Map<String, TestOutcome> ref = reference.byName();
        List<String> worse = new ArrayList<>();
        for (TestOutcome o : ours.outcomes()) {
            TestOutcome r = ref.get(o.fullName());
            boolean oursBad = o.result() == TestOutcome.Result.FAILED || o.result() == TestOutcome.Result.NOT_RUN;
            if (oursBad && r != null && r.result() == TestOutcome.Result.PASSED) {
                worse.add(o.fullName() + " (" + o.result() + ": " + o.reason() + ")");
            }
        }
        return worse;
    }

    /** Tests that pass on {@code reference} but are skipped on {@code ours}: not a failure, but a gap to read. */
    public static List<String> newSkips(ConformanceRunner.Run reference, ConformanceRunner.Run ours) {
        Map<String, TestOutcome> ref = reference.byName();
        List<String> skipped = new ArrayList<>();
        for (TestOutcome o : ours.outcomes()) {
            TestOutcome r = ref.get(o.fullName());
            if (o.result() == TestOutcome.Result.SKIPPED && r != null && r.result() == TestOutcome.Result.PASSED) {
                skipped.add(o.fullName() + " (" + o.reason() + ")");
            }
        }
        return skipped;
    }

    public static long notPassed(ConformanceRunner.Run run) {
        return run.outcomes().size() - run.count(TestOutcome.Result.PASSED);
    }

    public static void writeSummary(Path outDir, ConformanceRunner.Run reference, ConformanceRunner.Run ours,
                                    String note) throws IOException {
        StringBuilder md = new StringBuilder("# Conformance summary (iscsi-test-cu, one process per suite)\n\n");
        md.append("- ").append(countsLine(reference)).append(" -- ").append(reference.targetDescription()).append('\n');
        if (ours != null) {
            md.append("- ").append(countsLine(ours)).append(" -- ").append(ours.targetDescription()).append('\n');
            List<String> worse = regressions(reference, ours);
            md.append("\n## Fail on ").append(ours.target()).append(", pass on ").append(reference.target())
                    .append(" (").append(worse.size()).append(")\n\n");
            worse.forEach(w -> md.append("- ").append(w).append('\n'));
            List<String> skips = newSkips(reference, ours);
            md.append("\n## Skipped on ").append(ours.target()).append(", pass on ").append(reference.target())
                    .append(" (").append(skips.size()).append(", not asserted)\n\n");
            skips.forEach(w -> md.append("- ").append(w).append('\n'));
        }
        if (note != null) {
            md.append("\n**").append(note).append("**\n");
        }
        Files.writeString(outDir.resolve("summary.md"), md);
    }
}

package io.pmtarget.it.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The comparison rules ConformanceIT asserts, on hand-made runs. */
class ConformanceReportTest {

    private static TestOutcome o(String test, TestOutcome.Result r) {
        return new TestOutcome("ALL.S", test, r, r == TestOutcome.Result.PASSED ? "" : "why");
    }

    private static ConformanceRunner.Run run(String name, TestOutcome... outcomes) {
        return new ConformanceRunner.Run(name, name, List.of(outcomes), Duration.ZERO, Duration.ZERO);
    }

    @Test
    void aTestThatPassesOnTheReferenceButFailsOrDoesNotRunOnOursIsARegression() {
        ConformanceRunner.Run ref = run("tgtd", o("A", TestOutcome.Result.PASSED), o("B", TestOutcome.Result.PASSED),
                o("C", TestOutcome.Result.FAILED), o("D", TestOutcome.Result.PASSED));
        ConformanceRunner.Run ours = run("pmtarget", o("A", TestOutcome.Result.FAILED),
                o("B", TestOutcome.Result.NOT_RUN), o("C", TestOutcome.Result.FAILED), o("D", TestOutcome.Result.SKIPPED));
        List<String> worse = ConformanceReport.regressions(ref, ours);
        assertEquals(2, worse.size(), worse.toString());
        assertEquals("ALL.S.A (FAILED: why)", worse.get(0));
        assertEquals("ALL.S.B (NOT_RUN: why)", worse.get(1));
    }

    @Test
    void aSkipWhereTheReferencePassesIsListedSeparately() {
        ConformanceRunner.Run ref = run("tgtd", o("A", TestOutcome.Result.PASSED), o("B", TestOutcome.Result.SKIPPED));
        ConformanceRunner.Run ours = run("pmtarget", o("A", TestOutcome.Result.SKIPPED), o("B", TestOutcome.Result.SKIPPED));
        assertEquals(List.of("ALL.S.A (why)"), ConformanceReport.newSkips(ref, ours));
        assertEquals(List.of(), ConformanceReport.regressions(ref, ours));
    }

    @Test
    void notPassedCountsFailedSkippedAndNotRun() {
        ConformanceRunner.Run r = run("x", o("A", TestOutcome.Result.PASSED), o("B", TestOutcome.Result.FAILED),
                o("C", TestOutcome.Result.SKIPPED), o("D", TestOutcome.Result.NOT_RUN));
        assertEquals(3, ConformanceReport.notPassed(r));
    }
}

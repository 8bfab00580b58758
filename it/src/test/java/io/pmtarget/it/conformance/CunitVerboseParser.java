package io.pmtarget.it.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the stdout of one {@code iscsi-test-cu -v [-V] -t SUITE} run into per-test outcomes.
 *
 * <p>CUnit 2.1-3 verbose output, as libiscsi 1.19 produces it:
 * <pre>
 * Suite: GetLBAStatus
 *   Test: Simple ...
 *     (test logging, with -V also every SCSI command)
 * passed
 *   Test: BeyondEol ...
 *     [FAILED] GET_LBA_STATUS successful but should have failed with ...
 * FAILED
 *     1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)
 *   Test: UnmapSingle ...    [SKIPPED] Logical unit is fully provisioned. Skipping test
 * passed
 * Run Summary: ...
 * </pre>
 * The verdict line starts at column 0 with "passed" or "FAILED" (it may carry trailing log text,
 * or sit at the end of the "Test:" line without -V). CUnit counts a skip as a pass, so a test
 * whose block contains "[SKIPPED]" and whose verdict is "passed" is {@link TestOutcome.Result#SKIPPED}.
 */
public final class CunitVerboseParser {

    private static final Pattern TEST_LINE = Pattern.compile("^  Test: (\\S+) \\.\\.\\.(.*)$");
    private static final Pattern VERDICT = Pattern.compile("^(passed|FAILED)\\b");
    private static final Pattern INLINE_VERDICT = Pattern.compile("(passed|FAILED)\\s*$");
    private static final Pattern ASSERT_LINE = Pattern.compile("^\\s+\\d+\\. (\\S+:\\d+\\s+- .*)$");
    private static final int REASON_CHARS_MAX = 300;

    private CunitVerboseParser() {
    }

    /** Outcomes in output order; tests without a verdict line are left out (the caller adds NOT_RUN). */
    public static List<TestOutcome> parse(String suite, String stdout) {
        List<TestOutcome> outcomes = new ArrayList<>();
        Block block = null;
        for (String line : stdout.split("\n", -1)) {
            Matcher test = TEST_LINE.matcher(line);
            if (test.matches()) {
                finish(suite, block, outcomes);
                block = new Block(test.group(1));
                block.add(test.group(2), true);
            } else if (line.startsWith("Suite: ") || line.startsWith("Run Summary:")) {
                finish(suite, block, outcomes);
                block = null;
            } else if (block != null) {
                block.add(line, false);
            }
        }
        finish(suite, block, outcomes);
        return outcomes;
    }

    private static void finish(String suite, Block b, List<TestOutcome> out) {
        if (b == null || b.verdict == null) {
            return;
        }
        TestOutcome.Result result;
        String reason;
        if (b.verdict.equals("FAILED")) {
            result = TestOutcome.Result.FAILED;
            reason = b.failedMessage != null ? b.failedMessage
                    : b.assertLine != null ? b.assertLine : "FAILED without a message";
        } else if (b.skippedMessage != null) {
            result = TestOutcome.Result.SKIPPED;
            reason = b.skippedMessage;
        } else {
            result = TestOutcome.Result.PASSED;
            reason = "";
        }
        if (reason.length() > REASON_CHARS_MAX) {
            reason = reason.substring(0, REASON_CHARS_MAX) + "...";
        }
        out.add(new TestOutcome(suite, b.name, result, reason));
    }

    /** Lines of one test, from its "Test:" line to the next test, suite or summary. */
    private static final class Block {
        final String name;
        String verdict;
        String failedMessage;
        String skippedMessage;
        String assertLine;

        Block(String name) {
            this.name = name;
        }

        void add(String line, boolean onTestLine) {
            noteMessage(line);
            Matcher v = (onTestLine ? INLINE_VERDICT : VERDICT).matcher(line);
            if (v.find()) {
                // The last verdict wins; after FAILED CUnit prints the assert list, no new verdict.
                verdict = v.group(1);
            }
            Matcher a = ASSERT_LINE.matcher(line);
            if (assertLine == null && a.matches()) {
                assertLine = a.group(1).trim();
            }
        }

        private void noteMessage(String line) {
            int f = line.indexOf("[FAILED]");
            if (f >= 0 && failedMessage == null) {
                failedMessage = stripVerdict(line.substring(f + "[FAILED]".length()));
            }
            int s = line.indexOf("[SKIPPED]");
            if (s >= 0 && skippedMessage == null) {
                skippedMessage = stripVerdict(line.substring(s + "[SKIPPED]".length()));
            }
        }

        private static String stripVerdict(String msg) {
            return INLINE_VERDICT.matcher(msg.trim()).replaceFirst("").trim();
        }
    }
}

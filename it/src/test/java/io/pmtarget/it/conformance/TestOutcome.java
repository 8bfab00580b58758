package io.pmtarget.it.conformance;

/**
 * One iscsi-test-cu test's result.
 *
 * @param suite   suite as iscsi-test-cu -l names it, e.g. "ALL.Inquiry"
 * @param test    test name inside the suite, e.g. "BlockLimits"
 * @param result  what happened
 * @param reason  the [FAILED]/[SKIPPED] message or failing CU_ASSERT, empty for PASSED
 */
public record TestOutcome(String suite, String test, Result result, String reason) {

    public enum Result {
        PASSED,
        FAILED,
        /** CUnit reports "passed", but the test printed "[SKIPPED]": it checked nothing. */
        SKIPPED,
        /** Listed by -l but never reported: the suite process crashed, timed out or its init failed. */
        NOT_RUN
    }

    public String fullName() {
        return suite + "." + test;
    }

    /** Tab-separated line; tabs and newlines in the reason become spaces. */
    public String tsv() {
        return suite + "\t" + test + "\t" + result + "\t" + reason.replaceAll("[\\t\\r\\n]+", " ");
    }
}

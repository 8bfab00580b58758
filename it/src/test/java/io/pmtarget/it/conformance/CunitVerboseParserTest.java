package io.pmtarget.it.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Parser on real iscsi-test-cu 1.19 output shapes (copied from a run against tgtd). */
class CunitVerboseParserTest {

    private static final String VERBOSE_SCSI = String.join("\n",
            "     CUnit - A unit testing framework for C - Version 2.1-3",
            "",
            "Suite: GetLBAStatus",
            "  Test: Simple ...",
            "    Test GETLBASTATUS of 1-256 blocks at the start of the LUN",
            "    Send GET_LBA_STATUS (Expecting SUCCESS) LBA:0 alloc_len:24",
            "    [OK] GET_LBA_STATUS returned SUCCESS.",
            "passed",
            "  Test: BeyondEol ...",
            "    Test GETLBASTATUS one block beyond the end of the LUN",
            "    [FAILED] GET_LBA_STATUS successful but should have failed with ILLEGAL_REQUEST(0x05)",
            "    Test GETLBASTATUS at LBA -1",
            "FAILED",
            "    1. test_get_lba_status_beyond_eol.c:38  - CU_ASSERT_EQUAL(_r,0)",
            "  Test: UnmapSingle ...    [SKIPPED] Logical unit is fully provisioned. Skipping test",
            "passed    Send PRIN/READ_KEYS",
            "  Test: AssertOnly ...",
            "FAILED",
            "    1. test_x.c:12  - CU_ASSERT_EQUAL(a,b)",
            "  Test: NeverFinished ...",
            "    Send WRITE10",
            "",
            "Run Summary:    Type  Total    Ran Passed Failed Inactive",
            "               tests      5      5      3      2        0");

    private static final String PLAIN = String.join("\n",
            "Suite: Inquiry",
            "  Test: Standard ...passed",
            "  Test: BlockLimits ...    [SKIPPED] Logical unit is fully provisioned. Skipping test",
            "passed",
            "  Test: Broken ...FAILED",
            "    1. test_inquiry.c:9  - CU_FAIL(x)",
            "Run Summary:");

    @Test
    void verboseScsiOutputGivesOneOutcomePerFinishedTest() {
        List<TestOutcome> o = CunitVerboseParser.parse("ALL.GetLBAStatus", VERBOSE_SCSI);
        assertEquals(4, o.size(), o.toString());
        assertEquals(new TestOutcome("ALL.GetLBAStatus", "Simple", TestOutcome.Result.PASSED, ""), o.get(0));
        assertEquals(TestOutcome.Result.FAILED, o.get(1).result());
        assertEquals("GET_LBA_STATUS successful but should have failed with ILLEGAL_REQUEST(0x05)", o.get(1).reason());
        assertEquals(TestOutcome.Result.SKIPPED, o.get(2).result());
        assertEquals("Logical unit is fully provisioned. Skipping test", o.get(2).reason());
        assertEquals(TestOutcome.Result.FAILED, o.get(3).result());
        assertEquals("test_x.c:12  - CU_ASSERT_EQUAL(a,b)", o.get(3).reason());
    }

    @Test
    void verdictOnTheTestLineWithoutScsiLogging() {
        List<TestOutcome> o = CunitVerboseParser.parse("ALL.Inquiry", PLAIN);
        assertEquals(List.of(TestOutcome.Result.PASSED, TestOutcome.Result.SKIPPED, TestOutcome.Result.FAILED),
                o.stream().map(TestOutcome::result).toList());
        assertEquals("test_inquiry.c:9  - CU_FAIL(x)", o.get(2).reason());
    }

    @Test
    void tsvLineHasNoTabsOrNewlinesInTheReason() {
        TestOutcome t = new TestOutcome("S", "T", TestOutcome.Result.FAILED, "a\tb\nc");
        assertEquals("S\tT\tFAILED\ta b c", t.tsv());
    }
}

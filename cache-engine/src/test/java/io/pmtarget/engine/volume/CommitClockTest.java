package io.pmtarget.engine.volume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CommitClockTest {

    private static final long MS = 1_000_000L;

    @Test
    void manyCommitsWithinMaxAgeKeepTheirTimes() {
        CommitClock clock = new CommitClock(1000);
        // 100 000 commits, one per 5 us: 0.5 s, well inside max_age; the old 4096-slot table lost seq 0.
        for (long seq = 0; seq < 100_000; seq++) {
            clock.committed(seq, seq * 5_000);
        }
        long t = clock.committedNanos(0);
        assertTrue(t != CommitClock.LONG_AGO && t <= 0 && t > -1000 * MS / 64, "seq 0 time " + t);
        long t2 = clock.committedNanos(50_000);
        assertTrue(t2 <= 50_000 * 5_000L && t2 >= 50_000 * 5_000L - 1000 * MS / 64, "seq 50000 time " + t2);
    }

    @Test
    void seqsOlderThanEveryBucketAreLongAgo() {
        CommitClock clock = new CommitClock(100);
        for (long seq = 0; seq < 10_000; seq++) {
            clock.committed(seq, seq * MS);
        }
        assertEquals(CommitClock.LONG_AGO, clock.committedNanos(0));
        long recent = clock.committedNanos(9_999);
        assertTrue(recent <= 9_999 * MS && recent > 9_999 * MS - 100 * MS / 64 - MS, "recent " + recent);
        long edge = clock.committedNanos(9_999 - 150);
        assertTrue(edge == CommitClock.LONG_AGO || 9_999 * MS - edge >= 100 * MS,
                "a seq older than max_age must not look young: " + edge);
    }
}

package io.pmtarget.engine.volume;

/**
 * When each seq was committed, for max_age, in fixed memory whatever the commit rate.
 *
 * <p>Commits are grouped into time buckets of {@code resolution = max(1 ms, max_age / 64)}: a bucket holds the
 * first seq committed in it and that commit's time. {@link #BUCKETS} = 128 buckets cover at least twice
 * max_age, so a seq older than the oldest bucket was committed more than max_age ago. The time returned for a
 * seq is its bucket's start, at most one resolution before the real commit: a block is written back at most
 * max_age / 64 early, never late. (The previous table remembered the last 4096 commits only, so at high
 * commit rates blocks far younger than max_age were taken as old.)
 *
 * <p>Not thread-safe: the volume calls it under its index lock.
 */
final class CommitClock {

    static final int BUCKETS = 128;
    /** Returned by {@link #committedNanos} for a seq older than every bucket: "long ago". */
    static final long LONG_AGO = Long.MIN_VALUE;

    private final long resolutionNanos;
    private final long[] firstSeq = new long[BUCKETS];
    private final long[] startNanos = new long[BUCKETS];
    private int newest = -1;
    private int size;

    CommitClock(long maxAgeMs) {
        this.resolutionNanos = Math.max(1_000_000L, maxAgeMs * 1_000_000L / 64);
    }

    /** Records that {@code seq} was committed at {@code nowNanos}; seqs arrive in increasing order. */
    void committed(long seq, long nowNanos) {
        if (size > 0) {
            assert Long.compareUnsigned(seq, firstSeq[newest]) >= 0 : "seq " + seq + " after " + firstSeq[newest];
            if (nowNanos - startNanos[newest] < resolutionNanos) {
                return;
            }
        }
        newest = (newest + 1) % BUCKETS;
        firstSeq[newest] = seq;
        startNanos[newest] = nowNanos;
        size = Math.min(size + 1, BUCKETS);
    }

    /** The (bucket) commit time of {@code seq}, or {@link #LONG_AGO} when it is older than every bucket. */
    long committedNanos(long seq) {
        for (int i = 0, b = newest; i < size; i++, b = (b - 1 + BUCKETS) % BUCKETS) {
            if (Long.compareUnsigned(firstSeq[b], seq) <= 0) {
                return startNanos[b];
            }
        }
        return LONG_AGO;
    }
}

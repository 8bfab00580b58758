package io.pmtarget.engine.volume;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A latency histogram with fixed log2 buckets of microseconds, in primitive arrays: recording is one
 * subtraction, a leading-zeros count and one atomic increment, no allocation.
 *
 * <p>Bucket {@code i} (0..{@value #BUCKETS}-2) counts latencies in (2^(i-1), 2^i] microseconds (bucket 0:
 * up to 1 us); the last bucket counts everything longer than 2^{@value #LAST_BOUND_LOG2} us (about 18
 * minutes). Counts are striped by thread (one row of buckets per stripe, rows a cache line apart) so two
 * I/O threads do not bounce one counter line between cores; a snapshot sums the rows.
 */
public final class LatencyHistogram {

    public static final int BUCKETS = 32;
    static final int LAST_BOUND_LOG2 = BUCKETS - 2;
    /** Row length: buckets plus 8 longs (64 bytes) of padding between stripes. */
    private static final int ROW = BUCKETS + 8;

    private final String name;
    private final int stripeMask;
    private final AtomicLongArray counts;

    LatencyHistogram(String name, int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two: " + stripes);
        }
        this.name = name;
        this.stripeMask = stripes - 1;
        this.counts = new AtomicLongArray(stripes * ROW);
    }

    /** Bucket index of a latency in nanoseconds: ceil(log2(ceil(us))), clamped; 1.5 us counts as le_2. */
    static int bucket(long nanos) {
        long n = Math.max(0, nanos);
        long us = n / 1000 + (n % 1000 == 0 ? 0 : 1);
        if (us <= 1) {
            return 0;
        }
        int log2Ceil = 64 - Long.numberOfLeadingZeros(us - 1);
        return Math.min(log2Ceil, BUCKETS - 1);
    }

    /** Records one operation that started at {@code startNanos} (System.nanoTime) and ends now. */
    void record(long startNanos) {
        int stripe = IoGate.threadStripe(stripeMask);
        counts.incrementAndGet(stripe * ROW + bucket(System.nanoTime() - startNanos));
    }

    /** Per-bucket counts summed over stripes. */
    public long[] snapshot() {
        long[] b = new long[BUCKETS];
        for (int s = 0; s <= stripeMask; s++) {
            for (int i = 0; i < BUCKETS; i++) {
                b[i] += counts.get(s * ROW + i);
            }
        }
        return b;
    }

    /** Upper bound in microseconds of bucket {@code i}; Long.MAX_VALUE for the last. */
    public static long upperBoundUs(int i) {
        return i >= BUCKETS - 1 ? Long.MAX_VALUE : 1L << i;
    }

    /**
     * The upper bound (us) of the bucket holding quantile {@code q} (0 < q <= 1) of {@code buckets}, or 0 when
     * empty: an upper estimate within a factor of two.
     */
    public static long percentileUs(long[] buckets, double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1]: " + q);
        }
        long total = 0;
        for (long c : buckets) {
            total += c;
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return upperBoundUs(i);
            }
        }
        throw new AssertionError("rank " + rank + " beyond total " + total);
    }

    /**
     * Adds {@code <name>_latency_us_count}, {@code _p50}, {@code _p99} and cumulative
     * {@code <name>_latency_us_le_<bound>} counters (Prometheus style) from the first to the last non-empty
     * bucket ({@code le_inf} for the last bucket); an empty histogram adds only the count.
     */
    void addTo(Map<String, Long> map) {
        long[] b = snapshot();
        String prefix = name + "_latency_us_";
        int first = -1;
        int last = -1;
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (b[i] != 0) {
                first = first < 0 ? i : first;
                last = i;
                total += b[i];
            }
        }
        map.put(prefix + "count", total);
        if (total == 0) {
            return;
        }
        map.put(prefix + "p50", percentileUs(b, 0.50));
        map.put(prefix + "p99", percentileUs(b, 0.99));
        long cumulative = 0;
        for (int i = 0; i < first; i++) {
            cumulative += b[i];
        }
        for (int i = first; i <= last; i++) {
            cumulative += b[i];
            map.put(prefix + "le_" + (i == BUCKETS - 1 ? "inf" : Long.toString(upperBoundUs(i))), cumulative);
        }
    }
}

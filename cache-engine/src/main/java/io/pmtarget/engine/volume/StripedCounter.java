package io.pmtarget.engine.volume;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A count striped by thread, one cache line per stripe ({@link IoGate#threadStripe}): adding touches only
 * the caller's line, summing reads every line but misses only on those other threads changed since. The
 * volume counts fresh uncommitted blocks here for the autocommit check: a sum by shard would read a line
 * each writer rewrites on every allocation, a shared atomic would bounce one line on every write.
 */
final class StripedCounter {

    /** Longs per stripe: 8 x 8 B = 64 bytes, one cache line. */
    private static final int STRIDE = 8;

    private final int stripeMask;
    private final AtomicLongArray counts;

    StripedCounter(int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two: " + stripes);
        }
        stripeMask = stripes - 1;
        counts = new AtomicLongArray(stripes * STRIDE);
    }

    /** Adds one to the calling thread's stripe; returns that stripe's new value. */
    long increment() {
        return counts.incrementAndGet(IoGate.threadStripe(stripeMask) * STRIDE);
    }

    long sum() {
        long sum = 0;
        for (int s = 0; s <= stripeMask; s++) {
            sum += counts.get(s * STRIDE);
        }
        return sum;
    }

    /**
     * Zeroes every stripe. An add racing the reset is either lost or counted after it, never torn: fine for
     * a heuristic. Stores only to stripes in use: each volatile store is a fence.
     */
    void reset() {
        for (int s = 0; s <= stripeMask; s++) {
            if (counts.get(s * STRIDE) != 0) {
                counts.set(s * STRIDE, 0);
            }
        }
    }
}

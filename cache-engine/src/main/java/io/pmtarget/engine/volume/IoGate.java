package io.pmtarget.engine.volume;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The commit gate: many writers inside at once ("shared"), or one exclusive holder (a commit point, the
 * drop step of a discard, close). Replaces a ReentrantReadWriteLock whose single state word every writer
 * CASed twice per block and whose hand-over parked and unparked every writer at every commit.
 *
 * <p>Writers count themselves in stripes chosen by thread id, one cache line each, so two writers on two cores
 * do not share a line. Dekker-style handshake (all accesses are volatile, so sequentially consistent): a
 * writer increments its stripe, then reads {@code exclusive}; the exclusive holder sets {@code exclusive},
 * then reads every stripe. Either the writer sees the flag (and backs out) or the holder sees the count
 * (and waits), never neither. Exclusive sections are a few microseconds (drain, 8-byte store, flag walk),
 * so waiters spin briefly, then yield, then park for short slices.
 *
 * <p>Only one thread may hold the exclusive side at a time: callers serialize on the commit lock.
 */
final class IoGate {

    /** AtomicIntegerArray slots per stripe: 16 ints = 64 bytes, one cache line. */
    static final int STRIDE = 16;
    private static final int SPINS = 64;
    private static final int YIELDS = 256;
    private static final long PARK_NANOS = 20_000;

    private final int stripeMask;
    private final AtomicIntegerArray inFlight;
    private volatile boolean exclusive;

    IoGate(int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two: " + stripes);
        }
        stripeMask = stripes - 1;
        inFlight = new AtomicIntegerArray(stripes * STRIDE);
    }

    /** Stripes for this machine: a power of two >= max(16, 4 * CPUs), so threads rarely share one. */
    static int defaultStripes() {
        int want = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        return Integer.highestOneBit(want - 1) << 1;
    }

    /** The calling thread's stripe slot; stable per thread, so enter and exit use the same slot. */
    int slot() {
        return threadStripe(stripeMask) * STRIDE;
    }

    /**
     * The calling thread's stripe under {@code mask}: from the thread id, so threads created one after the
     * other (an I/O thread pool, JMH's workers) get different stripes; an identity hash collided for 1 pair
     * of threads in 16, making the pair share one line for the thread's whole life.
     */
    static int threadStripe(int mask) {
        long id = Thread.currentThread().getId();
        return (int) (id ^ (id >>> 16)) & mask;
    }

    /** Enters the shared side; returns the slot to pass to {@link #exitShared(int)}. */
    int enterShared() {
        int slot = slot();
        for (int round = 0; ; round++) {
            if (!exclusive) {
                inFlight.incrementAndGet(slot);
                if (!exclusive) {
                    return slot;
                }
                inFlight.decrementAndGet(slot);
            }
            backoff(round);
        }
    }

    void exitShared(int slot) {
        int left = inFlight.decrementAndGet(slot);
        assert left >= 0 : "gate stripe " + slot + " went negative";
    }

    /** Closes the gate and waits until no writer is inside. The caller holds the commit lock. */
    void enterExclusive() {
        assert !exclusive : "exclusive side entered twice";
        exclusive = true;
        for (int round = 0; inside() != 0; round++) {
            backoff(round);
        }
    }

    void exitExclusive() {
        assert exclusive : "exclusive side left without being held";
        exclusive = false;
    }

    private int inside() {
        int sum = 0;
        for (int i = 0; i <= stripeMask; i++) {
            sum += inFlight.get(i * STRIDE);
        }
        return sum;
    }

    static void backoff(int round) {
        if (round < SPINS) {
            Thread.onSpinWait();
        } else if (round < SPINS + YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
        }
    }
}

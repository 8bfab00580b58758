package io.pmtarget.engine.volume;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The writers' gate: tells a commit when every write of a generation has finished, without stopping the
 * writes of the next one. A writer enters with the current generation (the seq its fresh entries get) and
 * counts itself under that generation's parity; a commit advances the generation, then waits only until
 * the old parity's counts fall to zero, while new writers go on under the new parity. The exclusive side
 * (discard's drop step, close) keeps every writer out.
 *
 * <p>Counts are striped by thread id, one cache line each, so two writers on two cores share no written
 * line. Dekker-style handshakes (all accesses volatile, so sequentially consistent): a writer increments
 * its count, then re-reads {@code generation} and {@code exclusive}; a commit stores the new generation
 * (an exclusive holder its flag), then reads the counts. Either the writer sees the change and backs out,
 * or the other side sees its count and waits, never neither. Two parities suffice: a generation advances
 * only after the one before it has drained and committed, so at most two are ever live.
 *
 * <p>Callers serialize {@link #advance} and the exclusive side on the commit lock.
 */
final class IoGate {

    /** AtomicIntegerArray slots per stripe: 16 ints = 64 bytes, one cache line. */
    static final int STRIDE = 16;
    private static final int SPINS = 64;
    private static final int YIELDS = 256;
    private static final long PARK_NANOS = 20_000;

    private final int stripes;
    private final int stripeMask;
    /** [generation parity][stripe], one cache line per count. */
    private final AtomicIntegerArray inFlight;
    private volatile long generation;
    private volatile boolean exclusive;

    IoGate(int stripes, long generation) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two: " + stripes);
        }
        this.stripes = stripes;
        this.stripeMask = stripes - 1;
        this.inFlight = new AtomicIntegerArray(2 * stripes * STRIDE);
        this.generation = generation;
    }

    /** Stripes for this machine: a power of two >= max(16, 4 * CPUs), so threads rarely share one. */
    static int defaultStripes() {
        int want = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
        return Integer.highestOneBit(want - 1) << 1;
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

    /** The calling thread's count slot for generation {@code gen}; stable per thread and generation. */
    private int slot(long gen) {
        return ((int) (gen & 1) * stripes + threadStripe(stripeMask)) * STRIDE;
    }

    /** The generation new writes enter: the seq_count their fresh entries carry. */
    long generation() {
        return generation;
    }

    /**
     * Enters as a writer of the current generation, waiting while the exclusive side is held; returns the
     * generation, to pass to {@link #exitShared(long)}.
     */
    long enterShared() {
        for (int round = 0; ; round++) {
            if (!exclusive) {
                long gen = generation;
                int slot = slot(gen);
                inFlight.incrementAndGet(slot);
                if (!exclusive && generation == gen) {
                    return gen;
                }
                inFlight.decrementAndGet(slot);
            }
            backoff(round);
        }
    }

    void exitShared(long gen) {
        int left = inFlight.decrementAndGet(slot(gen));
        assert left >= 0 : "gate count of generation " + gen + " went negative";
    }

    /**
     * Starts generation {@code from + 1}: writers entering from now on belong to it. The caller holds the
     * commit lock, and generation {@code from - 1} has drained (it was committed before).
     */
    void advance(long from) {
        assert generation == from : "advancing from " + from + " but the generation is " + generation;
        generation = from + 1;
    }

    /**
     * True when no writer of generation {@code gen} (or of any generation of its parity) is inside. False can
     * be spurious: a writer that read an older generation counts itself for a moment before it backs out.
     * True is exact once {@code gen} is no longer current: a writer that goes on in gen counted itself
     * before it re-read the generation, hence before the advance and before this read.
     */
    boolean drained(long gen) {
        int base = (int) (gen & 1) * stripes;
        for (int s = 0; s < stripes; s++) {
            if (inFlight.get((base + s) * STRIDE) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Waits until {@link #drained}(gen): writers inside finish one block each, so this is microseconds. */
    void awaitDrained(long gen) {
        for (int round = 0; !drained(gen); round++) {
            backoff(round);
        }
    }

    /** Closes the gate and waits until no writer of either generation is inside. Commit lock held. */
    void enterExclusive() {
        assert !exclusive : "exclusive side entered twice";
        exclusive = true;
        for (int round = 0; !drained(0) || !drained(1); round++) {
            backoff(round);
        }
    }

    void exitExclusive() {
        assert exclusive : "exclusive side left without being held";
        exclusive = false;
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

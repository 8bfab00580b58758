package io.pmtarget.engine.volume;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets readers copy a cache block from pmem without holding the index lock, and without any per-entry RAM.
 *
 * <p>A reader enters (counts itself in the current epoch's stripe), looks the block up under the index lock,
 * copies outside it, and exits. Code that takes an entry out of the index (commit freeing superseded
 * versions, writeback completion, discard) first unlinks it, then calls {@link #synchronize()}, and only then
 * returns it to the free list: synchronize flips the epoch and waits until every reader counted in the old
 * epoch has left. A reader that found the entry did its lookup before the unlink, so it entered before the
 * flip and is waited for; a reader entering after the flip cannot find the entry any more. So no block is
 * reused (and overwritten by a new write) under a reader's copy. Close uses the same wait so no reader
 * touches the mapping after it is unmapped.
 *
 * <p>A reader re-reads the epoch after counting itself; if it moved, it backs out and retries, so a reader is
 * always counted in an epoch a later synchronize will wait for. Synchronize calls are serialized, so at most
 * two epochs' counters are ever live.
 */
final class ReadEpochs {

    private final int stripeMask;
    private final int stripes;
    /** [epoch parity][stripe], one cache line per counter. */
    private final AtomicIntegerArray counts;
    private final ReentrantLock grace = new ReentrantLock();
    private volatile long epoch;

    ReadEpochs(int stripes) {
        if (Integer.bitCount(stripes) != 1) {
            throw new IllegalArgumentException("stripes must be a power of two: " + stripes);
        }
        this.stripes = stripes;
        this.stripeMask = stripes - 1;
        this.counts = new AtomicIntegerArray(2 * stripes * IoGate.STRIDE);
    }

    /** Enters a read-side section; returns the token for {@link #exit(int)}. */
    int enter() {
        int stripe = IoGate.threadStripe(stripeMask);
        while (true) {
            long e = epoch;
            int slot = ((int) (e & 1) * stripes + stripe) * IoGate.STRIDE;
            counts.incrementAndGet(slot);
            if (epoch == e) {
                return slot;
            }
            counts.decrementAndGet(slot);
        }
    }

    void exit(int token) {
        int left = counts.decrementAndGet(token);
        assert left >= 0 : "read epoch counter " + token + " went negative";
    }

    /** Waits until every reader that entered before this call has exited (a grace period). */
    void synchronize() {
        grace.lock();
        try {
            long old = epoch;
            epoch = old + 1;
            int base = (int) (old & 1) * stripes;
            for (int s = 0; s < stripes; s++) {
                for (int round = 0; counts.get((base + s) * IoGate.STRIDE) != 0; round++) {
                    IoGate.backoff(round);
                }
            }
        } finally {
            grace.unlock();
        }
    }
}

package io.pmtarget.engine.volume;

import java.util.ArrayList;
import java.util.List;

/**
 * What each block of a volume may hold after a crash: every version written from the last one acknowledged
 * durable (a FUA write, or a write completed before a completed flush; a completed discard counts as
 * durable zeros) onwards. Tag 0 is the initial content (zeros). Thread-safe; never calls the volume.
 */
final class CrashOracle {

    private final List<List<Long>> versions = new ArrayList<>();
    private final int[] floor;
    private final List<long[]> completedSinceFlush = new ArrayList<>();

    CrashOracle(int blocks) {
        floor = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            List<Long> l = new ArrayList<>();
            l.add(0L);
            versions.add(l);
        }
    }

    /** Before a write (or discard: tag 0) of block b is issued; returns the version index. */
    synchronized int begin(int b, long tag) {
        versions.get(b).add(tag);
        return versions.get(b).size() - 1;
    }

    /** A non-FUA write returned. */
    synchronized void completed(int b, int version) {
        completedSinceFlush.add(new long[] {b, version});
    }

    /** Called when a flush is issued: everything completed so far becomes durable once it returns. */
    synchronized List<long[]> flushIssued() {
        List<long[]> pending = new ArrayList<>(completedSinceFlush);
        completedSinceFlush.clear();
        return pending;
    }

    synchronized void durable(int b, int version) {
        floor[b] = Math.max(floor[b], version);
    }

    synchronized void durable(List<long[]> pending) {
        for (long[] p : pending) {
            durable((int) p[0], (int) p[1]);
        }
    }

    /** The newest tag of block b (what a live read must return). */
    synchronized long latest(int b) {
        List<Long> l = versions.get(b);
        return l.get(l.size() - 1);
    }

    /** Allowed tags per block at this instant. */
    synchronized long[][] allowedNow() {
        long[][] allowed = new long[floor.length][];
        for (int b = 0; b < floor.length; b++) {
            List<Long> l = versions.get(b);
            allowed[b] = new long[l.size() - floor[b]];
            for (int i = floor[b]; i < l.size(); i++) {
                allowed[b][i - floor[b]] = l.get(i);
            }
        }
        return allowed;
    }
}

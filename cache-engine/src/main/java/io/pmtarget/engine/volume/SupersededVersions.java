package io.pmtarget.engine.volume;

/**
 * The older versions a commit point supersedes: collected (flagged SUPERSEDED, so writeback leaves them
 * alone) by the walk that follows the commit point, then freed. Used by {@link CommitEngine} under its
 * commit lock only.
 *
 * <p>At most {@link #BATCH} versions (plus one version chain) are held at a time, so the list is 4 KiB
 * whatever the commit size and RAM per cache block stays within the index's 32 bytes; a larger commit frees
 * in several batches.
 */
final class SupersededVersions {

    static final int BATCH = 1024;

    private final CacheVolume v;
    private final CacheIndex index;
    private int[] entries = new int[64];
    private int count;

    SupersededVersions(CacheVolume volume) {
        this.v = volume;
        this.index = volume.index;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /**
     * Walks the FIFO backwards from {@code from}, the committed generation's last entry in the shard (the
     * generation is the run of UNCOMMITTED entries ending there: later generations' entries all come after
     * it, and dropped entries may be interleaved), clears
     * UNCOMMITTED and collects every older version that is not under writeback, flagged SUPERSEDED. Stops
     * early, before an entry it leaves UNCOMMITTED, once {@link #BATCH} versions are collected, and returns
     * that entry (it stays in the FIFO: nothing but a commit detaches an uncommitted entry); NONE when done.
     * Under {@code sh}'s lock; all versions of a sector are in its shard, so every version collected is too.
     */
    int markCommittedAndCollect(IndexShard sh, int from) {
        assert sh.isHeldByCurrentThread() : "collecting without the shard lock";
        for (int e = from; e != CacheIndex.NONE; e = index.fifoPrev(e)) {
            byte f = index.flags(e);
            if ((f & (CacheIndex.UNCOMMITTED | CacheIndex.DROPPED)) == 0) {
                break;
            }
            if ((f & CacheIndex.UNCOMMITTED) == 0) {
                continue;
            }
            if (count >= BATCH) {
                return e;
            }
            index.clear(e, (byte) (CacheIndex.UNCOMMITTED | CacheIndex.GEN_ODD));
            for (int o = index.older(e); o != CacheIndex.NONE; o = index.older(o)) {
                if (!index.has(o, (byte) (CacheIndex.WRITEBACK | CacheIndex.SUPERSEDED))) {
                    index.set(o, CacheIndex.SUPERSEDED);
                    if (count == entries.length) {
                        entries = java.util.Arrays.copyOf(entries, Math.min(index.capacity(),
                                entries.length * 2));
                    }
                    entries[count++] = o;
                }
            }
        }
        return CacheIndex.NONE;
    }

    /**
     * Frees the collected versions: durable free stores, one drain, a read grace period, then back to their
     * home shards' free lists. Writers may run meanwhile (no writer touches a non-newest version). Holds no
     * shard lock when called.
     */
    void free() {
        int n = count;
        if (n == 0) {
            return;
        }
        Recovery.freeAll(v.device, entries, n);
        v.device.drain();
        v.epochs.synchronize();
        index.releaseAll(entries, n);
        count = 0;
        v.notifyWaiters();
    }
}

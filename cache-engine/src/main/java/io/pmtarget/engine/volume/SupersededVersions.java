package io.pmtarget.engine.volume;

/**
 * The older versions a commit point supersedes: collected (flagged SUPERSEDED, so writeback leaves them
 * alone) by the walk that follows the commit point, then freed. One list is the {@link CommitEngine}'s,
 * used under its commit lock; each writer thread has one for the shards it walks ({@link BlockWriter}),
 * bound to a volume only for one walk and its free, so a thread's list never keeps a closed volume alive.
 *
 * <p>The commit's list holds at most {@link #BATCH} versions (plus one version chain) at a time, so it is
 * 4 KiB whatever the commit size and RAM per cache block stays within the index's 32 bytes; a larger commit
 * frees in several batches. A writer walks a shard only when it holds at most
 * {@link BlockWriter#WRITER_WALK_MAX} entries of the generation, and walks it whole: its list grows past
 * its initial size only when those entries supersede more than one version each.
 */
final class SupersededVersions {

    static final int BATCH = 1024;

    /** The volume whose entries this list holds: always for the commit's list, during one walk for a writer's. */
    private CacheVolume v;
    private CacheIndex index;
    /** A writer thread's list: no batch limit (it must finish its walk), and it notifies waiters only if any. */
    private final boolean writers;
    private int[] entries;
    private int count;

    /** The commit's list (batches of {@link #BATCH}), bound to its volume for good. */
    SupersededVersions(CacheVolume volume) {
        this(false, 64);
        bind(volume);
    }

    /** A writer thread's list ({@code writers}) or the commit's, bound by {@link #bind} for each walk. */
    SupersededVersions(boolean writers, int initialSize) {
        if (initialSize <= 0) {
            throw new IllegalArgumentException("initial size must be positive: " + initialSize);
        }
        this.writers = writers;
        this.entries = new int[initialSize];
    }

    void bind(CacheVolume volume) {
        assert count == 0 : "rebinding a list that still holds " + count + " versions";
        this.v = volume;
        this.index = volume.index;
    }

    /** Forgets the volume; {@link #free} ran, unless it threw (the next {@link #bind} asserts on that). */
    void unbind() {
        this.v = null;
        this.index = null;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /**
     * Walks the FIFO backwards from {@code from}, the committed generation's last entry in the shard (the
     * generation is the run of UNCOMMITTED entries ending there: later generations' entries all come after
     * it, and dropped entries may be interleaved), clears UNCOMMITTED and collects every older version that
     * is not under writeback, flagged SUPERSEDED. The commit's list stops early, before an entry it leaves
     * UNCOMMITTED, once {@link #BATCH} versions are collected, and returns that entry (it stays in the FIFO:
     * nothing but a commit detaches an uncommitted entry); NONE when done.
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
            if (count >= BATCH && !writers) {
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
     * Frees the collected versions ({@link CacheVolume#releaseEntries}). Readers reach an older version only
     * past a FILLING successor, and every successor here is committed, so no new reader finds these; the
     * grace period covers readers that stepped to them earlier. Writers may run meanwhile (no writer touches
     * a non-newest version). Holds no shard lock when called.
     */
    void free() {
        int n = count;
        if (n == 0) {
            return;
        }
        v.releaseEntries(entries, n);
        count = 0;
        // Writers free after nearly every commit: they skip the shared monitor unless somebody may wait for
        // these entries (a write for space, a flush message for FLUSH_PENDING ones); the waits are bounded.
        if (!writers || v.spaceWaiters.get() > 0 || index.freeLists.flushPendingCount() > 0) {
            v.notifyWaiters();
        }
    }
}

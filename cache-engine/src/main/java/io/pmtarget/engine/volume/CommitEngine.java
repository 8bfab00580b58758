package io.pmtarget.engine.volume;

import io.pmtarget.engine.writeback.WritebackSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commit points, group commit, discard bookkeeping and the volume side of writeback.
 *
 * <p>Commit (dm-writecache order): writers already copied data with persistent stores and flushed their
 * entries; the commit drains, stores seq_count + 1 in the superblock with one aligned 8-byte store, flushes
 * and drains it (the commit point), and only then frees the older versions the newly committed blocks
 * supersede. Group commit: a caller needs a commit whose exclusive section began after its call; callers
 * arriving while one runs wait for the next, which serves all of them at once.
 *
 * <p>Freeing an entry is one 8-byte store of seq = all ones, flushed and drained before the entry can be
 * reused: otherwise a crash could pair a committed entry with the data of a later write.
 *
 * <p>Concurrency: the commit lock serializes commits, the drop step of discards and close. Only the commit
 * point (drain, seq_count store, clearing UNCOMMITTED on the FIFO tail, collecting the superseded versions)
 * holds the gate exclusively; the superseded versions are then freed with writers running again (they are
 * flagged SUPERSEDED so writeback leaves them alone, and no writer touches a non-newest version), after a
 * read grace period so no reader still copies from them.
 */
final class CommitEngine implements WritebackSource {

    private static final Logger LOG = LoggerFactory.getLogger(CommitEngine.class);

    private final CacheVolume v;
    private final CacheIndex index;
    private final CommitFault fault;
    private final Object commitMon = new Object();
    private final ReentrantLock discardLock = new ReentrantLock();
    /** Serializes commits, discard's drop step and close: the holders of the gate's exclusive side. */
    private final ReentrantLock commitLock = new ReentrantLock();
    private static final int START_AT_TAIL = -2;
    /** Older versions the last commit point superseded, freed after the gate reopens (commit lock held). */
    private final SupersededVersions superseded;
    /** Guarded by v.meta. */
    private final CommitClock commitClock;
    private volatile long seqCount;
    private long commitsAcquired;
    private long commitsCompleted;
    private boolean commitRunning;
    // Written under v.meta (uncommitted is read without it for the autocommit heuristic):
    private volatile int uncommitted;
    private long firstUncommittedNanos;
    private boolean writebackActive;
    private int dropped;
    private volatile int underWriteback;
    private final java.util.concurrent.atomic.AtomicInteger drainRequests = new java.util.concurrent.atomic.AtomicInteger();

    CommitEngine(CacheVolume volume, long seqCount, CommitFault fault) {
        this.v = volume;
        this.index = volume.index;
        this.seqCount = seqCount;
        this.fault = fault;
        this.commitClock = new CommitClock(volume.options.maxAgeMs());
        this.superseded = new SupersededVersions(volume);
        // Blocks recovered at open count as committed now: their age starts at open, as before a restart.
        commitClock.committed(0, System.nanoTime());
    }

    long seqCount() {
        return seqCount;
    }

    int blocksUnderWriteback() {
        return underWriteback;
    }

    /** Called under v.meta by a writer that took a new entry. */
    void noteUncommitted() {
        if (uncommitted++ == 0) {
            firstUncommittedNanos = System.nanoTime();
        }
    }

    /** Heuristic checks without the index lock: a stale count only shifts an autocommit by a block. */
    void maybeAutocommit() throws IOException {
        boolean full = uncommitted >= v.options.autocommitBlocks();
        boolean high = index.usedCount() * 100L >= (long) v.options.highWatermarkPct() * index.capacity();
        if (full) {
            commit(false);
        }
        if (high) {
            v.writeback.kick();
        }
    }

    /** Group commit: returns once a commit that began after this call has completed. */
    void commit(boolean requested) throws IOException {
        if (requested) {
            v.counters.commitRequests.increment();
        }
        long target;
        synchronized (commitMon) {
            target = commitsAcquired;
        }
        while (true) {
            synchronized (commitMon) {
                while (commitsCompleted <= target && commitRunning) {
                    try {
                        commitMon.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while waiting for a commit");
                    }
                }
                if (commitsCompleted > target) {
                    return;
                }
                commitRunning = true;
            }
            try {
                runCommit();
            } finally {
                synchronized (commitMon) {
                    commitRunning = false;
                    commitMon.notifyAll();
                }
            }
        }
    }

    /**
     * A commit on this thread if none is running, for callers that must not wait (an event loop); false,
     * having done nothing, when another commit runs. When true, every write that returned before this call
     * is committed: the commit began after them.
     */
    boolean tryCommit() {
        synchronized (commitMon) {
            if (commitRunning) {
                return false;
            }
            commitRunning = true;
        }
        v.counters.commitRequests.increment();
        try {
            runCommit();
        } finally {
            synchronized (commitMon) {
                commitRunning = false;
                commitMon.notifyAll();
            }
        }
        return true;
    }

    private void runCommit() {
        commitLock.lock();
        long startNanos = System.nanoTime();
        try {
            long number;
            v.gate.enterExclusive();
            try {
                synchronized (commitMon) {
                    number = ++commitsAcquired;
                }
                commitPointLocked();
            } finally {
                v.gate.exitExclusive();
            }
            superseded.free();
            synchronized (commitMon) {
                commitsCompleted = number;
            }
            v.counters.commitLatency.record(startNanos);
        } finally {
            commitLock.unlock();
        }
    }

    /** Runs {@code action} with the gate's exclusive side held (no writer inside), e.g. close. */
    void runExclusive(Runnable action) {
        commitLock.lock();
        try {
            v.gate.enterExclusive();
            try {
                action.run();
            } finally {
                v.gate.exitExclusive();
            }
        } finally {
            commitLock.unlock();
        }
    }

    /** The commit point; the caller holds the commit lock and the gate's exclusive side (no writer copying). */
    private void commitPointLocked() {
        assert commitLock.isHeldByCurrentThread() && superseded.isEmpty() : "commit point without the commit lock";
        if (uncommitted == 0) {
            return;
        }
        long seq = seqCount;
        if (fault != CommitFault.SKIP_DRAIN_BEFORE_SEQ) {
            v.device.drain();
        }
        v.device.writeLong(CacheLayout.SB_SEQ_COUNT_OFFSET, seq + 1);
        v.device.flush(CacheLayout.SB_SEQ_COUNT_OFFSET, Long.BYTES);
        v.device.drain();
        seqCount = seq + 1;
        v.counters.commits.increment();
        int resumeAt = START_AT_TAIL;
        while (true) {
            synchronized (v.meta) {
                if (resumeAt == START_AT_TAIL) {
                    commitClock.committed(seq, System.nanoTime());
                    resumeAt = index.fifoTail();
                }
                resumeAt = superseded.markCommittedAndCollect(resumeAt);
                if (resumeAt == CacheIndex.NONE) {
                    uncommitted = 0;
                    return;
                }
            }
            // The list is full: free this batch now (gate still exclusive), then go on where the walk stopped.
            superseded.free();
        }
    }

    /**
     * Discard, step 1: commits whatever is uncommitted (a write that completed before a concurrent flush
     * must survive a crash during this discard, and a dropped uncommitted entry could otherwise later share
     * its seq with a new write of the sector), then unlinks every cached version in the range from the
     * index, marked DROPPED: they stay allocated until the backing device has been discarded, so a crash
     * before that still finds the old data in the cache. Runs under the commit lock and the exclusive gate and waits
     * while any version in the range is under writeback. Holds the discard lock until
     * {@link #freeDropped()} or {@link #abortDiscard()}.
     */
    void discardCached(long firstSector, long blocks) throws IOException {
        discardLock.lock();
        long endSector = firstSector + blocks * (v.blockSizeBytes() / CacheLayout.SECTOR_BYTES);
        commitLock.lock();
        v.gate.enterExclusive();
        try {
            // Free the superseded versions before dropping: unlinking a newest version must not expose one.
            commitPointLocked();
            superseded.free();
            synchronized (v.meta) {
                while (rangeUnderWriteback(firstSector, endSector)) {
                    v.meta.wait(CacheVolume.FULL_WAIT_MS);
                }
                for (int e = index.fifoHead(); e != CacheIndex.NONE; e = index.fifoNext(e)) {
                    long s = index.sector(e);
                    if (s < firstSector || s >= endSector || index.has(e, CacheIndex.DROPPED)) {
                        continue;
                    }
                    assert !index.has(e, CacheIndex.UNCOMMITTED) : "uncommitted entry " + e + " after a commit";
                    index.unlinkVersion(e);
                    index.set(e, CacheIndex.DROPPED);
                    dropped++;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            discardLock.unlock();
            throw new InterruptedIOException("interrupted while a discard waited for writeback");
        } finally {
            v.gate.exitExclusive();
            commitLock.unlock();
        }
    }

    private boolean rangeUnderWriteback(long firstSector, long endSector) {
        for (int e = index.fifoHead(); e != CacheIndex.NONE; e = index.fifoNext(e)) {
            long s = index.sector(e);
            if (s >= firstSector && s < endSector && index.has(e, CacheIndex.WRITEBACK)) {
                return true;
            }
        }
        return false;
    }

    /** Discard, step 2 (the backing range is durable zeros now): frees the dropped entries durably. */
    void freeDropped() {
        try {
            synchronized (v.meta) {
                if (dropped == 0) {
                    return;
                }
                for (int e = index.fifoHead(); e != CacheIndex.NONE; e = index.fifoNext(e)) {
                    if (index.has(e, CacheIndex.DROPPED)) {
                        Recovery.free(v.device, e);
                    }
                }
                v.device.drain();
            }
            // The dropped entries left the hash in discardCached; wait out readers that found them before.
            v.epochs.synchronize();
            synchronized (v.meta) {
                int e = index.fifoHead();
                while (e != CacheIndex.NONE) {
                    int next = index.fifoNext(e);
                    if (index.has(e, CacheIndex.DROPPED)) {
                        index.release(e);
                        dropped--;
                    }
                    e = next;
                }
                assert dropped == 0 : "dropped entries left: " + dropped;
                v.meta.notifyAll();
            }
        } finally {
            discardLock.unlock();
        }
    }

    /** Releases the discard lock when the backing discard failed (dropped entries stay allocated). */
    void abortDiscard() {
        discardLock.unlock();
    }

    /**
     * The "flush" message: commit, then write back until every block that was cached when the message
     * arrived is written back (or freed). Blocks written meanwhile are written back too (writeback runs
     * unthrottled while a drain is requested) but are not waited for, so a steady stream of writes cannot
     * starve the message.
     */
    void drainCachedAtArrival() throws IOException {
        drainRequests.incrementAndGet();
        try {
            commit(false);
            synchronized (v.meta) {
                index.markFlushPending();
            }
            while (true) {
                v.writeback.kick();
                synchronized (v.meta) {
                    if (index.flushPendingCount() == 0) {
                        return;
                    }
                    if (v.writeback.failed()) {
                        throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                                "cannot flush the cache: " + v.error());
                    }
                    v.meta.wait(CacheVolume.FULL_WAIT_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while flushing the cache");
        } finally {
            drainRequests.decrementAndGet();
        }
    }

    /** Commit, then write back until the cache is empty (message cleaner, close with drain). */
    void drainAll() throws IOException {
        drainRequests.incrementAndGet();
        try {
            while (true) {
                commit(false);
                v.writeback.kick();
                synchronized (v.meta) {
                    if (index.usedCount() - dropped == 0) {
                        return;
                    }
                    if (v.writeback.failed()) {
                        throw new VolumeException(VolumeException.Kind.BACKING_WRITE_ERROR,
                                "cannot drain the cache: " + v.error());
                    }
                    v.meta.wait(CacheVolume.FULL_WAIT_MS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while draining the cache");
        } finally {
            drainRequests.decrementAndGet();
        }
    }

    @Override
    public boolean writebackWanted() {
        synchronized (v.meta) {
            long used = index.usedCount() - dropped;
            if (used == 0) {
                writebackActive = false;
                return false;
            }
            if (drainRequests.get() > 0 || v.cleaner) {
                return true;
            }
            long cap = index.capacity();
            if (used * 100 >= (long) v.options.highWatermarkPct() * cap) {
                writebackActive = true;
            } else if (used * 100 < (long) v.options.lowWatermarkPct() * cap || v.options.lowWatermarkPct() == 0
                    && used == 0) {
                writebackActive = false;
            }
            return writebackActive || headOlderThanMaxAge();
        }
    }

    private boolean headOlderThanMaxAge() {
        long maxAgeMs = v.options.maxAgeMs();
        int head = index.fifoHead();
        if (maxAgeMs == 0 || head == CacheIndex.NONE || index.has(head, CacheIndex.UNCOMMITTED)) {
            return false;
        }
        long seq = v.device.readLong(CacheLayout.entryOffset(head) + CacheLayout.ENTRY_SEQ_OFFSET);
        long since = commitClock.committedNanos(seq);
        return since == CommitClock.LONG_AGO || System.nanoTime() - since >= maxAgeMs * 1_000_000L;
    }

    @Override
    public int pickBatch(int[] entries, long[] sectors, int max) {
        int count = 0;
        boolean needCommit;
        synchronized (v.meta) {
            int limit = Math.min(max, blocksToLowWatermark());
            for (int e = index.fifoHead(); e != CacheIndex.NONE && count < limit; e = index.fifoNext(e)) {
                byte f = index.flags(e);
                if ((f & CacheIndex.UNCOMMITTED) != 0) {
                    break;
                }
                if ((f & (CacheIndex.WRITEBACK | CacheIndex.DROPPED | CacheIndex.SUPERSEDED)) != 0
                        || index.older(e) != CacheIndex.NONE) {
                    continue;
                }
                index.set(e, CacheIndex.WRITEBACK);
                entries[count] = e;
                sectors[count] = index.sector(e);
                count++;
            }
            underWriteback += count;
            needCommit = count == 0 && uncommitted > 0;
        }
        if (needCommit) {
            try {
                commit(false);
            } catch (IOException e) {
                LOG.warn("volume {}: commit from writeback failed", v.name, e);
            }
        }
        return count;
    }

    /**
     * How many blocks this round may take: when only the high watermark drives writeback, just enough to
     * reach the low watermark (so writeback stops there, as dm-writecache does); otherwise no limit.
     */
    private int blocksToLowWatermark() {
        if (drainRequests.get() > 0 || v.cleaner || headOlderThanMaxAge()) {
            return Integer.MAX_VALUE;
        }
        long used = index.usedCount() - dropped - underWriteback;
        long lowBlocks = (long) v.options.lowWatermarkPct() * index.capacity() / 100;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, used - lowBlocks));
    }

    @Override
    public void readCached(int entry, ByteBuffer dst) {
        // The entry is under writeback: nobody frees or reuses it until completeBatch/failBatch.
        v.device.read(v.layout.dataOffset(entry), dst);
    }

    @Override
    public void writeBacking(long sector, ByteBuffer run) throws IOException {
        int bytes = run.remaining();
        v.backing.write(v.backingOffset(sector), run);
        v.counters.writebackRuns.increment();
        v.counters.writebackBytes.add(bytes);
    }

    @Override
    public void forceBacking() throws IOException {
        v.backing.force();
    }

    @Override
    public void completeBatch(int[] entries, int count) {
        for (int i = 0; i < count; i++) {
            Recovery.free(v.device, entries[i]);
        }
        v.device.drain();
        synchronized (v.meta) {
            for (int i = 0; i < count; i++) {
                assert index.has(entries[i], CacheIndex.WRITEBACK) : "entry " + entries[i] + " not under writeback";
                index.detach(entries[i]);
            }
        }
        // Readers may still copy from entries they found before the detach: recycle only after they leave.
        v.epochs.synchronize();
        synchronized (v.meta) {
            for (int i = 0; i < count; i++) {
                index.recycle(entries[i]);
            }
            underWriteback -= count;
            v.meta.notifyAll();
        }
        v.counters.writebackBlocks.add(count);
    }

    @Override
    public void failBatch(int[] entries, int count, IOException cause) {
        v.setStickyError("backing device write failed: " + cause.getMessage());
        synchronized (v.meta) {
            for (int i = 0; i < count; i++) {
                index.clear(entries[i], CacheIndex.WRITEBACK);
            }
            underWriteback -= count;
            v.meta.notifyAll();
        }
    }

    @Override
    public void tick() {
        boolean due;
        synchronized (v.meta) {
            due = uncommitted > 0
                    && System.nanoTime() - firstUncommittedNanos >= v.options.autocommitTimeMs() * 1_000_000L;
        }
        if (due && !v.isClosed()) {
            try {
                commit(false);
            } catch (IOException e) {
                LOG.warn("volume {}: time-based autocommit failed", v.name, e);
            }
        }
    }

    @Override
    public int blockSizeBytes() {
        return v.blockSizeBytes();
    }
}

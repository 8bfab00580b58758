package io.pmtarget.engine.volume;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Commit points and group commit. Discards are in {@link Discards}, the volume side of writeback in
 * {@link WritebackFeed}.
 *
 * <p>Commit (dm-writecache order): writers already copied data with persistent stores and flushed their
 * entries; the commit drains, stores seq_count + 1 in the superblock with one aligned 8-byte store, flushes
 * and drains it (the commit point, once for all shards), and only then frees the older versions the newly
 * committed blocks supersede. Group commit: a caller needs a commit whose exclusive section began after its
 * call; callers arriving while one runs wait for the next, which serves all of them at once.
 *
 * <p>Freeing an entry is one 8-byte store of seq = all ones, flushed and drained before the entry can be
 * reused: otherwise a crash could pair a committed entry with the data of a later write.
 *
 * <p>Concurrency: the commit lock serializes commits, the drop step of discards and close. Only the commit
 * point (drain, seq_count store, noting each shard's FIFO tail) holds the gate exclusively. With writers
 * running again, the commit then walks each shard's FIFO back from the noted tail, clearing UNCOMMITTED and
 * collecting the versions this generation supersedes; until it has, writers tell the committed generation
 * from theirs by the entry's generation bit ({@link CacheIndex#isOpenUncommitted}) and never rewrite it in
 * place. Superseded versions are flagged SUPERSEDED so writeback leaves them alone (no writer touches a
 * non-newest version) and freed after a read grace period so no reader still copies from them. The next
 * commit point waits for the walk (commit lock), so at most one generation is ever being walked.
 */
final class CommitEngine {

    private final CacheVolume v;
    private final CacheIndex index;
    private final CommitFault fault;
    private final Object commitMon = new Object();
    /** Serializes commits, discard's drop step and close: the holders of the gate's exclusive side. */
    private final ReentrantLock commitLock = new ReentrantLock();
    private static final int START_AT_TAIL = -2;
    /** Older versions the last commit point superseded, freed after the gate reopens (commit lock held). */
    private final SupersededVersions superseded;
    /** Guarded by its own monitor (commit points write it, writeback reads it). */
    final CommitClock commitClock;
    private volatile long seqCount;
    private long commitsAcquired;
    private long commitsCompleted;
    /** Fresh uncommitted blocks, striped by writer thread; zeroed at each commit point (gate exclusive). */
    private final StripedCounter uncommittedByThread = new StripedCounter(IoGate.defaultStripes());
    /** Tests only: runs on the committing thread between the commit point and the walk (null in use). */
    volatile Runnable afterCommitPointForTests;
    /** Guarded by commitMon; read without it by the autocommit heuristic. */
    private volatile boolean commitRunning;

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

    /** A writer took a fresh entry (inside the commit gate, so a commit point sees or excludes it whole). */
    void noteUncommitted() {
        uncommittedByThread.increment();
    }

    /**
     * After a write: {@code shardDue} says a shard it wrote holds its share (autocommit_blocks / shards) of
     * autocommit_blocks, so the total is worth summing (not on every write); commits when the total reached
     * autocommit_blocks, unless a commit is already running (it or the next write's check commits these
     * blocks). Writes to shards below their share skip the sum, so a commit can come late by fewer than
     * autocommit_blocks blocks (shards x (share - 1)); with one shard it is exact.
     */
    void maybeAutocommit(boolean shardDue) {
        if (shardDue && !commitRunning && uncommittedByThread.sum() >= v.options.autocommitBlocks()) {
            // A writer never waits here: if a commit runs, it or the next write's check commits these blocks,
            // and two writers crossing the threshold together do not queue for a second, nearly empty commit.
            tryCommit(false);
        }
    }

    /** Time-based autocommit: true when some shard's oldest uncommitted block is older than autocommit_time. */
    boolean autocommitTimeDue() {
        long now = System.nanoTime();
        long limitNanos = v.options.autocommitTimeMs() * 1_000_000L;
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            if (sh.uncommitted == 0) {
                continue;
            }
            sh.lock();
            try {
                if (sh.uncommitted > 0 && now - sh.firstUncommittedNanos >= limitNanos) {
                    return true;
                }
            } finally {
                sh.unlock();
            }
        }
        return false;
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
            runClaimedCommit();
        }
    }

    /**
     * A commit on this thread if none is running, for callers that must not wait (an event loop, a writer
     * past the autocommit threshold); false, having done nothing, when another commit runs. When true,
     * every write that returned before this call is committed: the commit began after them.
     */
    boolean tryCommit(boolean requested) {
        synchronized (commitMon) {
            if (commitRunning) {
                return false;
            }
            commitRunning = true;
        }
        if (requested) {
            v.counters.commitRequests.increment();
        }
        runClaimedCommit();
        return true;
    }

    /** Runs a commit this thread claimed (set commitRunning), then lets waiters and the next commit in. */
    private void runClaimedCommit() {
        try {
            runCommit();
        } finally {
            synchronized (commitMon) {
                commitRunning = false;
                commitMon.notifyAll();
            }
        }
    }

    private void runCommit() {
        commitLock.lock();
        long startNanos = System.nanoTime();
        try {
            long number;
            boolean committed;
            v.gate.enterExclusive();
            try {
                synchronized (commitMon) {
                    number = ++commitsAcquired;
                }
                committed = commitPointLocked();
            } finally {
                v.gate.exitExclusive();
            }
            if (committed) {
                Runnable hook = afterCommitPointForTests;
                if (hook != null) {
                    hook.run();
                }
                markGenerationCommitted();
            }
            synchronized (commitMon) {
                commitsCompleted = number;
            }
            v.counters.commitLatency.record(startNanos);
        } finally {
            commitLock.unlock();
        }
    }

    /** An action run with the gate's exclusive side held (no writer inside). */
    interface ExclusiveAction {
        void run() throws InterruptedException;
    }

    /** Runs {@code action} with the gate's exclusive side held (no writer inside), e.g. close. */
    void runExclusive(ExclusiveAction action) throws InterruptedException {
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

    /**
     * Commits and frees what that supersedes, then runs {@code action}, all with the gate exclusive (no
     * writer inside, nothing uncommitted and no superseded version left): the drop step of a discard.
     */
    void commitThenRunExclusive(ExclusiveAction action) throws InterruptedException {
        runExclusive(() -> {
            if (commitPointLocked()) {
                markGenerationCommitted();
            }
            action.run();
        });
    }

    /**
     * The commit point; the caller holds the commit lock and the gate's exclusive side (no writer copying).
     * False when nothing was uncommitted; otherwise the caller must {@link #markGenerationCommitted} next.
     */
    private boolean commitPointLocked() {
        assert commitLock.isHeldByCurrentThread() && superseded.isEmpty() : "commit point without the commit lock";
        if (index.uncommittedCount() == 0) {
            return false;
        }
        long seq = seqCount;
        if (fault != CommitFault.SKIP_DRAIN_BEFORE_SEQ) {
            v.device.drain();
        }
        v.device.persistLong(CacheLayout.SB_SEQ_COUNT_OFFSET, seq + 1);
        seqCount = seq + 1;
        uncommittedByThread.reset();
        v.counters.commits.increment();
        synchronized (commitClock) {
            commitClock.committed(seq, System.nanoTime());
        }
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            // Exact here: writers count under the shard lock inside the gate, which is now exclusive.
            if (sh.uncommitted > 0) {
                sh.lock();
                try {
                    assert sh.commitTail == CacheIndex.NONE : "shard " + s + " still walking the last generation";
                    sh.commitTail = index.fifoTail(sh);
                    sh.uncommitted = 0;
                } finally {
                    sh.unlock();
                }
            }
        }
        return true;
    }

    /**
     * After a commit point, with writers running: clears the committed generation's UNCOMMITTED flags and
     * frees the versions it supersedes. The caller holds the commit lock.
     */
    private void markGenerationCommitted() {
        assert commitLock.isHeldByCurrentThread() : "walk without the commit lock";
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            if (sh.commitTail != CacheIndex.NONE) {
                markShardCommitted(sh);
            }
        }
        superseded.free();
    }

    /**
     * Walks one shard's FIFO back from its commit tail, freeing superseded versions in batches of bounded
     * size. The entry a full batch stops at stays in the FIFO meanwhile: it is still flagged UNCOMMITTED, so
     * writeback cannot pick it, and only commits (this thread) free versions.
     */
    private void markShardCommitted(IndexShard sh) {
        int resumeAt = START_AT_TAIL;
        while (true) {
            sh.lock();
            try {
                if (resumeAt == START_AT_TAIL) {
                    resumeAt = sh.commitTail;
                }
                resumeAt = superseded.markCommittedAndCollect(sh, resumeAt);
                if (resumeAt == CacheIndex.NONE) {
                    sh.commitTail = CacheIndex.NONE;
                    return;
                }
            } finally {
                sh.unlock();
            }
            // The list is full: free this batch now, then go on where the walk stopped.
            superseded.free();
        }
    }
}

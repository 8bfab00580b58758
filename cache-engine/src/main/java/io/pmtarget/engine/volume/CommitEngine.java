package io.pmtarget.engine.volume;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Commit points and group commit. Discards are in {@link Discards}, the volume side of writeback in
 * {@link WritebackFeed}.
 *
 * <p>Commit (dm-writecache order): writers copy data and entry with persistent stores and fence on their own
 * core before they leave the gate; the commit drains, stores seq_count + 1 in the superblock with one aligned
 * 8-byte store, flushes and drains it (the commit point), and only then frees the older versions the newly
 * committed blocks supersede.
 *
 * <p>Generations: the gate's generation is the seq every fresh entry gets, the superblock's seq_count (or one
 * more while a commit is pending). A commit <em>advances</em> the generation from S to S + 1, so new writes
 * go on at once in S + 1, then waits until the writers of S have left the gate, then stores seq_count S + 1:
 * exactly the entries of S become committed, and a crash before the store loses S and S + 1 alike (recovery
 * erases seq >= seq_count). An autocommit that finds writers of S still inside does not wait: the commit stays
 * pending and the next write past an autocommit check, a timed autocommit or any requested commit finishes
 * it. Requested commits (FUA, flush, full cache) wait: {@link #commit} returns once the durable seq_count
 * exceeds the generation current at the call, so every write that returned before the call is committed,
 * and callers queued behind a running commit usually find theirs done by it (group commit).
 *
 * <p>Freeing an entry is one 8-byte store of seq = all ones, drained before the entry can be reused:
 * otherwise a crash could pair a committed entry with the data of a later write.
 *
 * <p>Concurrency: the commit lock serializes advancing, commit points, the commit's walks, a discard's
 * drop step and close. After a commit point, with writers running, each shard's FIFO is walked back from the
 * committed generation's last entry there, clearing UNCOMMITTED and collecting the versions it supersedes:
 * by the commit itself when it was requested (FUA, flush, full cache, close), after an autocommit by the
 * next writer in the shard ({@link BlockWriter}), and what writers leave by the next advance. Until a shard
 * is walked, writers tell the committed generation from theirs by the entry's generation bit
 * ({@link CacheIndex#isOpenUncommitted}) and never rewrite it in place. Superseded versions are flagged
 * SUPERSEDED so writeback leaves them alone (no writer touches a non-newest version) and freed after a read
 * grace period so no reader still copies from them. A generation advances only after the one before the
 * committed one is walked everywhere, so at most two generations are ever live, and parity tells them apart.
 */
final class CommitEngine {

    private static final long NONE_PENDING = -1;
    private final CacheVolume v;
    private final CacheIndex index;
    private final CommitFault fault;
    /** Serializes commits, discard's drop step and close (the gate's exclusive side). */
    private final ReentrantLock commitLock = new ReentrantLock();
    private static final int START_AT_TAIL = -2;
    /** Older versions the last commit point superseded, freed by the walk after it (commit lock held). */
    private final SupersededVersions superseded;
    /** Guarded by its own monitor (commit points write it, writeback reads it). */
    final CommitClock commitClock;
    /** The superblock's seq_count: entries with a lower seq are committed. Written under the commit lock. */
    private volatile long seqCount;
    /** The generation advanced from but not committed yet, or NONE_PENDING. Written under the commit lock. */
    private volatile long pendingGen = NONE_PENDING;
    /** When the pending commit advanced (System.nanoTime), for the commit latency. */
    private long pendingSinceNanos;
    /** Fresh uncommitted blocks, striped by writer thread; zeroed when a commit advances. */
    private final StripedCounter uncommittedByThread = new StripedCounter(IoGate.defaultStripes());
    /** Tests only: runs on the committing thread between the commit point and the walk (null in use). */
    volatile Runnable afterCommitPointForTests;

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

    /** The durable seq_count. */
    long seqCount() {
        return seqCount;
    }

    /** A writer took a fresh entry; returns the count of the calling thread's stripe (for the check step). */
    long noteUncommitted() {
        return uncommittedByThread.increment();
    }

    /**
     * After a non-FUA write, never waiting: finishes a pending commit whose old writers have left, and, when
     * {@code checkDue} (the writer reached an autocommit check point) and the volume holds autocommit_blocks
     * uncommitted blocks, starts the next one. Nothing happens while another thread commits: it, or the next
     * write's check, commits these blocks. Checks at steps can make a commit late by fewer than
     * writers x step blocks; with one writer it is exact.
     */
    void maybeAutocommit(boolean checkDue) {
        boolean due = checkDue && uncommittedByThread.sum() >= v.options.autocommitBlocks();
        if ((!due && pendingGen == NONE_PENDING) || commitLock.isHeldByCurrentThread() || !commitLock.tryLock()) {
            return;
        }
        try {
            if (pendingGen != NONE_PENDING) {
                if (!v.gate.drained(pendingGen)) {
                    return;
                }
                finishPending(false);
            }
            if (due && advance()) {
                if (v.gate.drained(pendingGen)) {
                    finishPending(false);
                } else {
                    v.counters.commitsDeferred.increment();
                }
            }
        } finally {
            commitLock.unlock();
        }
    }

    /**
     * Time-based autocommit: true when some shard's oldest uncommitted block is older than autocommit_time
     * (a pending commit's blocks count until its commit point, an autocommitted generation's until its walk,
     * so the timed commit, whose advance walks them, bounds how long a shard no writer returns to waits).
     */
    boolean autocommitTimeDue() {
        long now = System.nanoTime();
        long limitNanos = v.options.autocommitTimeMs() * 1_000_000L;
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            if (sh.uncommitted() == 0) {
                continue;
            }
            sh.lock();
            try {
                if (sh.uncommitted() > 0 && now - sh.firstUncommittedNanos() >= limitNanos) {
                    return true;
                }
            } finally {
                sh.unlock();
            }
        }
        return false;
    }

    /** Group commit: returns once every write that returned before this call is committed. */
    void commit(boolean requested) throws IOException {
        if (requested) {
            v.counters.commitRequests.increment();
        }
        long callGen = v.gate.generation();
        try {
            commitLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a commit");
        }
        try {
            commitThrough(callGen);
        } finally {
            commitLock.unlock();
        }
    }

    /**
     * A commit on this thread if no other thread commits, for callers that must not block on one (an event
     * loop); false, having done nothing, when one does. When true, every write that returned before this
     * call is committed. It may spin while writers of the generation being committed finish their block.
     */
    boolean tryCommit(boolean requested) {
        long callGen = v.gate.generation();
        if (commitLock.isHeldByCurrentThread() || !commitLock.tryLock()) {
            return false;
        }
        try {
            if (requested) {
                v.counters.commitRequests.increment();
            }
            commitThrough(callGen);
            return true;
        } finally {
            commitLock.unlock();
        }
    }

    /**
     * Commits until the durable seq_count exceeds {@code gen} or nothing of the current generation is
     * uncommitted, waiting for old-generation writers to leave the gate. At most two rounds: finish the
     * pending commit, then advance and finish once more. Commit lock held.
     */
    private void commitThrough(long gen) {
        assert commitLock.isHeldByCurrentThread() : "commit without the commit lock";
        for (int round = 0; seqCount <= gen; round++) {
            assert round < 4 : "commit through generation " + gen + " did not converge";
            if (pendingGen != NONE_PENDING) {
                v.gate.awaitDrained(pendingGen);
                finishPending(true);
            } else if (!advance()) {
                return;
            }
        }
    }

    /**
     * Starts a commit of the current generation: later writes belong to the next one. False, doing nothing
     * more, when it has no uncommitted entry. Commit lock held, nothing pending.
     */
    private boolean advance() {
        long gen = v.gate.generation();
        assert pendingGen == NONE_PENDING && gen == seqCount : "advance from " + gen + " at seq_count " + seqCount;
        // The next generation has the parity of gen - 1 (committed): what writers left of its walk is done now,
        // so no entry of gen - 1 still flagged UNCOMMITTED can pass for one of gen + 1.
        walkCommitted(gen - 1);
        if (index.uncommittedCount(gen) == 0) {
            return false;
        }
        pendingSinceNanos = System.nanoTime();
        uncommittedByThread.reset();
        pendingGen = gen;
        v.gate.advance(gen);
        return true;
    }

    /**
     * The commit point of the pending generation, whose writers have all left the gate, then, when
     * {@code walk}, the walk that clears its UNCOMMITTED flags and frees what it supersedes. Without it
     * (autocommit), writers walk the shards they write in ({@link BlockWriter}), whose lines are already in
     * their core's cache, and the next {@link #advance} walks what they left. Commit lock held.
     */
    private void finishPending(boolean walk) {
        long gen = pendingGen;
        // (Not re-asserting drained(gen): a writer that read the generation just before it advanced counts
        // itself for a moment before it backs out, so a second look may see it although none is inside.)
        assert commitLock.isHeldByCurrentThread() && gen != NONE_PENDING : "commit point without a pending commit";
        if (fault != CommitFault.SKIP_DRAIN_BEFORE_SEQ) {
            v.device.drain();
        }
        v.device.persistLong(CacheLayout.SB_SEQ_COUNT_OFFSET, gen + 1);
        seqCount = gen + 1;
        pendingGen = NONE_PENDING;
        v.counters.commits.increment();
        synchronized (commitClock) {
            commitClock.committed(gen, System.nanoTime());
        }
        Runnable hook = afterCommitPointForTests;
        if (hook != null) {
            hook.run();
        }
        if (walk) {
            walkCommitted(gen);
        }
        v.counters.commitLatency.record(pendingSinceNanos);
    }

    /** An action run with the gate's exclusive side held (no writer inside). */
    interface ExclusiveAction {
        void run() throws InterruptedException;
    }

    /**
     * Runs {@code action} with the gate's exclusive side held (no writer inside), e.g. close; a commit left
     * pending is finished first (its writers have left).
     */
    void runExclusive(ExclusiveAction action) throws InterruptedException {
        commitLock.lock();
        try {
            v.gate.enterExclusive();
            try {
                if (pendingGen != NONE_PENDING) {
                    finishPending(true);
                }
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
            commitThrough(v.gate.generation());
            action.run();
        });
    }

    /**
     * After generation {@code gen}'s commit point, with writers running: in every shard still holding entries
     * of it, clears their UNCOMMITTED flags and frees the versions they supersede. The caller holds the
     * commit lock.
     */
    private void walkCommitted(long gen) {
        assert commitLock.isHeldByCurrentThread() && gen < seqCount : "walk of generation " + gen + " at seq_count "
                + seqCount;
        for (int s = 0; s < index.shardCount(); s++) {
            IndexShard sh = index.shard(s);
            // Exact enough without the lock: every writer of gen counted its entries under this lock before
            // leaving the gate, and drained() read the gate after they left; a writer's walk can only lower
            // it to zero, which the locked check below sees.
            if (sh.uncommitted(gen) > 0) {
                walkShard(sh, gen);
            }
        }
        superseded.free();
    }

    /**
     * Walks one shard's FIFO back from generation {@code gen}'s last entry there, freeing superseded versions
     * in batches of bounded size. The entry a full batch stops at stays in the FIFO meanwhile: it is still
     * flagged UNCOMMITTED, so writeback cannot pick it, and no writer walks the shard again (its count of gen
     * is zero once taken).
     */
    private void walkShard(IndexShard sh, long gen) {
        int resumeAt = START_AT_TAIL;
        while (true) {
            sh.lock();
            try {
                if (resumeAt == START_AT_TAIL) {
                    if (sh.uncommitted(gen) == 0) {
                        return; // a writer walked it meanwhile
                    }
                    resumeAt = sh.takeCommitted(gen);
                }
                resumeAt = superseded.markCommittedAndCollect(sh, resumeAt);
                if (resumeAt == CacheIndex.NONE) {
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

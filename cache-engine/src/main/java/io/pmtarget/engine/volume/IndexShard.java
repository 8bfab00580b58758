package io.pmtarget.engine.volume;

import java.util.concurrent.locks.AbstractQueuedSynchronizer;

/**
 * One shard of the {@link CacheIndex}: its lock and its list heads and counts. Sectors belong to a shard by
 * hash of the sector; the shard's lock guards the hash chains of its sectors, its FIFO (the used entries of
 * its sectors, in seq order) and its free list (initially the entries of its home range).
 *
 * <p>The lock is a non-reentrant mutex (the AQS javadoc's pattern), so the state word sits in this object,
 * next to the fields it guards; trailing padding keeps the next shard's fields off this shard's cache lines.
 * Counts are written under the lock only; read without it they are hints (see the fields).
 */
final class IndexShard extends IndexShardState {

    private static final long serialVersionUID = 1L;
    // Padding: 64 bytes after the state (subclass fields are laid out after the superclass's), so this
    // shard's hot fields and the next object's never share a cache line.
    long pad0;
    long pad1;
    long pad2;
    long pad3;
    long pad4;
    long pad5;
    long pad6;
    long pad7;

    IndexShard(int number, int bucketBase, int bucketCount, int homeStart, int homeEnd) {
        super(number, bucketBase, bucketCount, homeStart, homeEnd);
    }
}

/** The fields and lock of {@link IndexShard}, apart from its padding. */
abstract class IndexShardState extends AbstractQueuedSynchronizer {

    private static final long serialVersionUID = 1L;
    /** Spin rounds (PAUSE each, about 3-10 us in all) before {@link #lock} parks. */
    private static final int LOCK_SPINS = 256;

    final int number;
    /** First bucket of this shard's region of the bucket array, and the region's length. */
    final int bucketBase;
    final int bucketCount;
    /** First entry of the home range (where the free list starts and recycled entries return). */
    final int homeStart;
    final int homeEnd;
    int fifoHead = CacheIndex.NONE;
    int fifoTail = CacheIndex.NONE;
    int freeHead = CacheIndex.NONE;
    // Written under the lock only. Plain ints (a volatile store is a full fence on every allocation): reads
    // without the lock (sums for status, watermarks, the steal pre-check) may be stale but never torn, and
    // every loop that waits on them passes a monitor between reads.
    int freeCount;
    int usedCount;
    // Fresh entries of the generations of even and odd seq_count still flagged UNCOMMITTED here, the newest
    // of each (its FIFO-last: a writer allocates only while its generation is current, see BlockWriter) and
    // when the first came. Two generations at most are live: the current one and one a commit is finishing
    // or has committed without walking this shard yet (takeCommitted forgets it when the walk starts).
    private int uncommittedEven;
    private int uncommittedOdd;
    private int lastEven = CacheIndex.NONE;
    private int lastOdd = CacheIndex.NONE;
    private long firstNanosEven;
    private long firstNanosOdd;

    IndexShardState(int number, int bucketBase, int bucketCount, int homeStart, int homeEnd) {
        if (bucketCount <= 0 || homeStart > homeEnd) {
            throw new IllegalArgumentException("shard " + number + ": " + bucketCount + " buckets, home ["
                    + homeStart + ", " + homeEnd + ")");
        }
        this.number = number;
        this.bucketBase = bucketBase;
        this.bucketCount = bucketCount;
        this.homeStart = homeStart;
        this.homeEnd = homeEnd;
    }

    /**
     * Spins briefly before queueing: critical sections are tens of nanoseconds (a commit's walk of one shard a
     * few microseconds), while parking costs a futex wake-up, which on a virtual machine with halted vCPUs
     * takes tens of microseconds.
     */
    void lock() {
        for (int spin = 0; spin < LOCK_SPINS; spin++) {
            if (getState() == 0 && tryAcquire(1)) {
                return;
            }
            Thread.onSpinWait();
        }
        acquire(1);
    }

    void unlock() {
        release(1);
    }

    boolean isHeldByCurrentThread() {
        return isHeldExclusively();
    }

    @Override
    protected boolean tryAcquire(int ignored) {
        assert getExclusiveOwnerThread() != Thread.currentThread() : "shard " + number + " locked twice";
        if (compareAndSetState(0, 1)) {
            setExclusiveOwnerThread(Thread.currentThread());
            return true;
        }
        return false;
    }

    @Override
    protected boolean tryRelease(int ignored) {
        if (getState() == 0 || getExclusiveOwnerThread() != Thread.currentThread()) {
            throw new IllegalMonitorStateException("shard " + number + " unlocked by a thread not holding it");
        }
        setExclusiveOwnerThread(null);
        setState(0);
        return true;
    }

    @Override
    protected boolean isHeldExclusively() {
        return getState() == 1 && getExclusiveOwnerThread() == Thread.currentThread();
    }

    /** Counts fresh entry {@code e} of generation {@code gen}, the newest of its generation. Under the lock. */
    void noteUncommitted(long gen, int e) {
        if ((gen & 1) == 0) {
            if (uncommittedEven++ == 0) {
                firstNanosEven = System.nanoTime();
            }
            lastEven = e;
        } else {
            if (uncommittedOdd++ == 0) {
                firstNanosOdd = System.nanoTime();
            }
            lastOdd = e;
        }
    }

    /**
     * Fresh entries still flagged UNCOMMITTED, of both live generations: not committed yet, or committed and
     * not walked yet (a hint without the lock).
     */
    int uncommitted() {
        return uncommittedEven + uncommittedOdd;
    }

    /** Fresh entries of generation {@code gen} not committed yet (a hint without the lock). */
    int uncommitted(long gen) {
        return (gen & 1) == 0 ? uncommittedEven : uncommittedOdd;
    }

    /** When the oldest uncommitted entry was written (System.nanoTime); meaningful while any is. Under the lock. */
    long firstUncommittedNanos() {
        if (uncommittedEven == 0) {
            return firstNanosOdd;
        }
        return uncommittedOdd == 0 ? firstNanosEven : Math.min(firstNanosEven, firstNanosOdd);
    }

    /**
     * After generation {@code gen}'s commit point, under the lock, for a shard holding entries of it: forgets
     * the generation here and returns its newest entry, where the walk that clears their UNCOMMITTED flags
     * starts (whoever takes it walks it all).
     */
    int takeCommitted(long gen) {
        boolean even = (gen & 1) == 0;
        assert uncommitted(gen) > 0 : "shard " + number + " has no entry of generation " + gen;
        int tail = even ? lastEven : lastOdd;
        if (even) {
            uncommittedEven = 0;
            lastEven = CacheIndex.NONE;
        } else {
            uncommittedOdd = 0;
            lastOdd = CacheIndex.NONE;
        }
        return tail;
    }

    /** Recovery: nothing is uncommitted. */
    void resetUncommitted() {
        uncommittedEven = 0;
        uncommittedOdd = 0;
        lastEven = CacheIndex.NONE;
        lastOdd = CacheIndex.NONE;
    }
}

package io.pmtarget.target.scsi;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * LBA range locking for COMPARE AND WRITE atomicity (SBC-4 5.3: the compare and the write are one
 * uninterruptible operation with respect to other commands to those LBAs).
 *
 * <p>Ordinary reads, writes and discards take their stripes <em>shared</em>: SCSI gives no
 * ordering between concurrently outstanding commands, so they never wait for each other. COMPARE
 * AND WRITE takes its stripes <em>exclusive</em>. Stripes are chunks of {@link #CHUNK_BLOCKS} LBAs
 * hashed onto {@link #STRIPES} locks; a range's stripes are locked in ascending index order, so
 * lockers cannot deadlock. No allocation per lock.
 */
final class RangeLock {

    static final int STRIPES = 64;
    /** 128 blocks = 64 KiB at 512-byte blocks: small enough that unrelated C&Ws rarely collide. */
    static final int CHUNK_SHIFT = 7;
    static final int CHUNK_BLOCKS = 1 << CHUNK_SHIFT;

    private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];

    RangeLock() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    /** Bit i set = stripe i covers some LBA of [lba, lba + blocks). blocks 0 = no stripes. */
    static long stripeMask(long lba, long blocks) {
        assert lba >= 0 && blocks >= 0 : lba + "+" + blocks;
        if (blocks == 0) {
            return 0L;
        }
        long firstChunk = lba >>> CHUNK_SHIFT;
        long lastChunk = (lba + blocks - 1) >>> CHUNK_SHIFT;
        if (lastChunk - firstChunk >= STRIPES - 1) {
            return -1L;
        }
        long mask = 0L;
        for (long c = firstChunk; c <= lastChunk; c++) {
            mask |= 1L << (int) (c & (STRIPES - 1));
        }
        return mask;
    }

    long lockShared(long lba, long blocks) {
        long mask = stripeMask(lba, blocks);
        for (int i = 0; i < STRIPES; i++) {
            if ((mask & (1L << i)) != 0) {
                stripes[i].readLock().lock();
            }
        }
        return mask;
    }

    /** What {@link #tryLockShared} answers when a stripe is held exclusive. */
    static final long BUSY = 0L;

    /**
     * {@link #lockShared} without waiting, for the event loop: the mask, or {@link #BUSY} (nothing held)
     * when a COMPARE AND WRITE holds one of the stripes. {@code blocks} >= 1, so a real mask is never 0.
     */
    long tryLockShared(long lba, long blocks) {
        assert blocks >= 1 : blocks;
        long mask = stripeMask(lba, blocks);
        for (int i = 0; i < STRIPES; i++) {
            if ((mask & (1L << i)) != 0 && !stripes[i].readLock().tryLock()) {
                unlockShared(mask & ((1L << i) - 1));
                return BUSY;
            }
        }
        assert mask != BUSY;
        return mask;
    }

    void unlockShared(long mask) {
        for (int i = STRIPES - 1; i >= 0; i--) {
            if ((mask & (1L << i)) != 0) {
                stripes[i].readLock().unlock();
            }
        }
    }

    long lockExclusive(long lba, long blocks) {
        long mask = stripeMask(lba, blocks);
        for (int i = 0; i < STRIPES; i++) {
            if ((mask & (1L << i)) != 0) {
                stripes[i].writeLock().lock();
            }
        }
        return mask;
    }

    void unlockExclusive(long mask) {
        for (int i = STRIPES - 1; i >= 0; i--) {
            if ((mask & (1L << i)) != 0) {
                stripes[i].writeLock().unlock();
            }
        }
    }
}

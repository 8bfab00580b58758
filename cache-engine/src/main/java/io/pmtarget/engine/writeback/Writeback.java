package io.pmtarget.engine.writeback;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writeback thread of one volume: copies committed cache blocks to the backing device, oldest first.
 *
 * <p>Per round it takes a batch (at most writeback_jobs blocks, or {@link #BATCH_BLOCKS_UNLIMITED} when
 * unlimited), sorts it by sector, merges contiguous blocks into runs of at most {@link #RUN_BLOCKS_MAX}
 * blocks (one backing write each, like dm-writecache's merging of adjacent blocks), forces the backing
 * device, and only then lets the volume free the entries. A failure hands the batch back and stops the
 * thread: the error is sticky (dm-writecache behaves the same way).
 */
public final class Writeback implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Writeback.class);
    /** dm-writecache merges at most 256 blocks into one backing I/O. */
    public static final int RUN_BLOCKS_MAX = 256;
    /** Batch size when writeback_jobs is 0 (unlimited): keeps one round bounded in time and memory. */
    public static final int BATCH_BLOCKS_UNLIMITED = 1024;
    /**
     * Batch size while writers wait for space (or the cache is down to two full batches of free blocks): a
     * waiting writer gets space after this many backing writes and one force, not after a whole batch.
     * Measured on the bench's virtio disk, 60 s overrun at QD16 (p99 27.1 -> 4.9 ms): see bench/README.md.
     */
    public static final int BATCH_BLOCKS_URGENT = 128;
    /** Upper bound of the idle wait; also the granularity of time-based autocommit. */
    public static final long TICK_MS = 20;

    private final WritebackSource source;
    private final int batchMax;
    private final int[] entries;
    private final long[] sectors;
    /** Merge-sort scratch, as large as a batch (no allocation per batch). */
    private final long[] scratchSectors;
    private final int[] scratchEntries;
    private final ByteBuffer runBuffer;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private volatile boolean running = true;
    private volatile boolean failed;
    private boolean kicked;

    public Writeback(String name, WritebackSource source, int writebackJobs) {
        this.source = source;
        this.batchMax = writebackJobs == 0 ? BATCH_BLOCKS_UNLIMITED : Math.min(writebackJobs, BATCH_BLOCKS_UNLIMITED);
        this.entries = new int[batchMax];
        this.sectors = new long[batchMax];
        this.scratchSectors = new long[batchMax];
        this.scratchEntries = new int[batchMax];
        this.runBuffer = ByteBuffer.allocateDirect(RUN_BLOCKS_MAX * source.blockSizeBytes());
        this.thread = new Thread(this::loop, "writeback-" + name);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Wakes the thread (watermark crossed, flush message, cache full). */
    public void kick() {
        lock.lock();
        try {
            kicked = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean failed() {
        return failed;
    }

    private void loop() {
        while (running) {
            source.tick();
            boolean didWork = false;
            if (!failed && source.writebackWanted()) {
                didWork = round();
            }
            if (!didWork) {
                idleWait();
            }
        }
    }

    private void idleWait() {
        lock.lock();
        try {
            if (!kicked && running) {
                wake.await(TICK_MS, TimeUnit.MILLISECONDS);
            }
            kicked = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }

    /** One batch; false when nothing was eligible. */
    private boolean round() {
        int max = source.spaceUrgent(2 * batchMax) ? Math.min(batchMax, BATCH_BLOCKS_URGENT) : batchMax;
        int count = source.pickBatch(entries, sectors, max);
        if (count == 0) {
            return false;
        }
        sortBySector(count);
        try {
            writeRuns(count);
            source.forceBacking();
        } catch (IOException | RuntimeException e) {
            LOG.error("writeback to the backing device failed; writeback stops, cached data is kept", e);
            // Hand the batch back (sets the sticky error text) before waiters can see failed().
            source.failBatch(entries, count, e instanceof IOException io ? io : new IOException(e));
            failed = true;
            return false;
        }
        source.completeBatch(entries, count);
        return true;
    }

    private void writeRuns(int count) throws IOException {
        int blockBytes = source.blockSizeBytes();
        long sectorsPerBlock = blockBytes / 512;
        int i = 0;
        while (i < count) {
            int j = i + 1;
            while (j < count && j - i < RUN_BLOCKS_MAX && sectors[j] == sectors[j - 1] + sectorsPerBlock) {
                j++;
            }
            source.writeBacking(sectors[i], runData(i, j, blockBytes));
            i = j;
        }
    }

    /**
     * The data of run [i, j): a view of the cache itself when the run's entries lie side by side there (a
     * single block always does), which spares a copy of every block through the run buffer; otherwise the
     * blocks copied into the run buffer.
     */
    private ByteBuffer runData(int i, int j, int blockBytes) {
        int k = i + 1;
        while (k < j && entries[k] == entries[k - 1] + 1) {
            k++;
        }
        if (k == j) {
            ByteBuffer view = source.cachedView(entries[i], j - i);
            if (view != null) {
                return view;
            }
        }
        runBuffer.clear();
        for (k = i; k < j; k++) {
            runBuffer.limit((k - i + 1) * blockBytes);
            source.readCached(entries[k], runBuffer);
        }
        return runBuffer.flip();
    }

    /**
     * Sorts the batch by sector, entries alongside: a bottom-up merge sort, O(n log n), into preallocated
     * scratch arrays. Stable, so two versions of one sector (never expected in one batch) would still be
     * written oldest first, as picked. A batch of random writes is up to {@link #BATCH_BLOCKS_UNLIMITED}
     * blocks in no order: the insertion sort used before cost about n/4 moves per block there.
     */
    void sortBySector(int count) {
        long[] fromSectors = sectors;
        int[] fromEntries = entries;
        long[] toSectors = scratchSectors;
        int[] toEntries = scratchEntries;
        for (int width = 1; width < count; width *= 2) {
            for (int lo = 0; lo < count; lo += 2 * width) {
                int mid = Math.min(lo + width, count);
                int hi = Math.min(lo + 2 * width, count);
                int a = lo;
                int b = mid;
                for (int k = lo; k < hi; k++) {
                    boolean takeLeft = a < mid && (b >= hi || fromSectors[a] <= fromSectors[b]);
                    int from = takeLeft ? a++ : b++;
                    toSectors[k] = fromSectors[from];
                    toEntries[k] = fromEntries[from];
                }
            }
            long[] s = fromSectors;
            fromSectors = toSectors;
            toSectors = s;
            int[] e = fromEntries;
            fromEntries = toEntries;
            toEntries = e;
        }
        if (fromSectors != sectors) {
            System.arraycopy(fromSectors, 0, sectors, 0, count);
            System.arraycopy(fromEntries, 0, entries, 0, count);
        }
        assert isSorted(count);
    }

    private boolean isSorted(int count) {
        for (int i = 1; i < count; i++) {
            if (sectors[i - 1] > sectors[i]) {
                return false;
            }
        }
        return true;
    }

    /** Tests: the batch arrays. */
    long[] sectorsForTest() {
        return sectors;
    }

    int[] entriesForTest() {
        return entries;
    }

    @Override
    public void close() {
        running = false;
        kick();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("writeback thread did not stop within 30 s");
        }
    }
}

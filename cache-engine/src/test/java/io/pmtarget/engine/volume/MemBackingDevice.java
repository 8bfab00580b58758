package io.pmtarget.engine.volume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test backing device in RAM: keeps a volatile and a durable image (force() copies volatile to durable,
 * per 512-byte sector dirty tracking) so a crash keeps a random subset of unforced sectors, and fails writes
 * on demand (the sticky-error tests). Synchronizes on {@code lock}, which tests share with the simulated
 * pmem so a crash image of both is taken atomically.
 */
final class MemBackingDevice implements BackingDevice {

    private static final int SECTOR = 512;
    private final Object lock;
    private final byte[] volatileImage;
    private final byte[] durableImage;
    private final java.util.BitSet dirty;
    /** Writes to fail from now on: -1 = none, else fail after this many more succeed. */
    private final AtomicInteger failAfterWrites = new AtomicInteger(-1);
    private volatile boolean failForce;
    /** What {@link #readsWithoutBlocking()} answers (a RAM file vs a disk). */
    volatile boolean readsInRam;
    final AtomicInteger writeCalls = new AtomicInteger();
    final AtomicInteger readCalls = new AtomicInteger();
    final java.util.List<long[]> writeLog = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    MemBackingDevice(Object lock, int sizeBytes) {
        this.lock = lock;
        this.volatileImage = new byte[sizeBytes];
        this.durableImage = new byte[sizeBytes];
        this.dirty = new java.util.BitSet(sizeBytes / SECTOR);
    }

    void failWritesAfter(int writes) {
        failAfterWrites.set(writes);
    }

    void failForce(boolean fail) {
        failForce = fail;
    }

    /** Durable image plus a random subset of unforced sectors. */
    MemBackingDevice crash(Object newLock, Random random) {
        synchronized (lock) {
            MemBackingDevice copy = new MemBackingDevice(newLock, volatileImage.length);
            System.arraycopy(durableImage, 0, copy.durableImage, 0, durableImage.length);
            for (int s = dirty.nextSetBit(0); s >= 0; s = dirty.nextSetBit(s + 1)) {
                if (random.nextBoolean()) {
                    System.arraycopy(volatileImage, s * SECTOR, copy.durableImage, s * SECTOR, SECTOR);
                }
            }
            System.arraycopy(copy.durableImage, 0, copy.volatileImage, 0, durableImage.length);
            return copy;
        }
    }

    byte[] snapshot() {
        synchronized (lock) {
            return volatileImage.clone();
        }
    }

    @Override
    public long sizeBytes() {
        return volatileImage.length;
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        synchronized (lock) {
            readCalls.incrementAndGet();
            dst.put(volatileImage, (int) offsetBytes, dst.remaining());
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src) throws IOException {
        synchronized (lock) {
            writeCalls.incrementAndGet();
            int left = failAfterWrites.get();
            if (left == 0) {
                throw new IOException("injected backing write error at offset " + offsetBytes);
            }
            if (left > 0) {
                failAfterWrites.decrementAndGet();
            }
            int len = src.remaining();
            writeLog.add(new long[] {offsetBytes, len});
            src.get(volatileImage, (int) offsetBytes, len);
            dirty.set((int) (offsetBytes / SECTOR), (int) ((offsetBytes + len) / SECTOR));
        }
    }

    @Override
    public void force() throws IOException {
        synchronized (lock) {
            if (failForce) {
                throw new IOException("injected fdatasync error");
            }
            for (int s = dirty.nextSetBit(0); s >= 0; s = dirty.nextSetBit(s + 1)) {
                System.arraycopy(volatileImage, s * SECTOR, durableImage, s * SECTOR, SECTOR);
            }
            dirty.clear();
        }
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        write(offsetBytes, ByteBuffer.allocate((int) lengthBytes));
    }

    @Override
    public void close() {
    }

    @Override
    public boolean readsWithoutBlocking() {
        return readsInRam;
    }
}

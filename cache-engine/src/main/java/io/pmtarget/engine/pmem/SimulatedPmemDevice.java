package io.pmtarget.engine.pmem;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.Objects;
import java.util.Random;

/**
 * An in-memory {@link PmemDevice} that models x86 + ADR persistence at 8-byte word granularity, for
 * crash-simulation tests.
 *
 * <p>Two images are kept: the <em>volatile</em> image (what loads see) and the <em>durable</em> image (what
 * survives a crash). Per 8-byte word two bits are tracked:
 * <ul>
 *   <li>{@code dirty}: the volatile word may differ from the durable one;</li>
 *   <li>{@code flushed}: the word was flushed (or written with {@link #writePersistent}) after its last
 *       plain store, so the next {@link #drain} makes it durable.</li>
 * </ul>
 * A plain store after a flush clears {@code flushed} again (the flush may have written the old value).
 * {@link #crash(Random)} builds a new device from the durable image plus a random subset of the dirty
 * words: a word either made it to the persistence domain or not, which is exactly the guarantee of an
 * aligned 8-byte store; larger writes may tear at word boundaries.
 *
 * <p>A {@link Hook} sees every mutating operation (before it takes effect) so a test can capture a crash
 * image at that point. All methods are synchronized on this object; tests may share that monitor with a
 * simulated backing device so a crash image of both is consistent.
 */
public final class SimulatedPmemDevice implements PmemDevice {

    /** Called before every store, persistent copy, flush and drain. */
    public interface Hook {
        void beforeOperation(SimulatedPmemDevice device, String operation);
    }

    private static final int WORD_BYTES = 8;

    private final ByteBuffer volatileImage;
    private final ByteBuffer durableImage;
    private final BitSet dirty;
    private final BitSet flushed;
    private volatile Hook hook;
    private long operations;
    private boolean closed;

    public SimulatedPmemDevice(long sizeBytes) {
        if (sizeBytes <= 0 || sizeBytes % WORD_BYTES != 0 || sizeBytes > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("sizeBytes must be a positive multiple of 8 below 2 GiB: " + sizeBytes);
        }
        this.volatileImage = ByteBuffer.allocate((int) sizeBytes).order(ByteOrder.LITTLE_ENDIAN);
        this.durableImage = ByteBuffer.allocate((int) sizeBytes).order(ByteOrder.LITTLE_ENDIAN);
        int words = (int) (sizeBytes / WORD_BYTES);
        this.dirty = new BitSet(words);
        this.flushed = new BitSet(words);
    }

    public void setHook(Hook hook) {
        this.hook = hook;
    }

    /** Mutating operations seen so far (stores, copies, flushes, drains). */
    public synchronized long operations() {
        return operations;
    }

    /** Number of words whose latest value is not yet durable. */
    public synchronized int dirtyWords() {
        return dirty.cardinality();
    }

    /**
     * A new device holding what a power failure now could leave behind: the durable image plus, for each
     * dirty word, the volatile value with probability one half. The new device is fully durable.
     */
    public synchronized SimulatedPmemDevice crash(Random random) {
        Objects.requireNonNull(random, "random");
        SimulatedPmemDevice copy = new SimulatedPmemDevice(sizeBytes());
        copy.durableImage.put(0, durableImage, 0, durableImage.capacity());
        for (int w = dirty.nextSetBit(0); w >= 0; w = dirty.nextSetBit(w + 1)) {
            if (random.nextBoolean()) {
                copy.durableImage.putLong(w * WORD_BYTES, volatileImage.getLong(w * WORD_BYTES));
            }
        }
        copy.volatileImage.put(0, copy.durableImage, 0, durableImage.capacity());
        return copy;
    }

    /** A fully durable copy of the current volatile image (a clean shutdown). */
    public synchronized SimulatedPmemDevice cleanCopy() {
        SimulatedPmemDevice copy = new SimulatedPmemDevice(sizeBytes());
        copy.volatileImage.put(0, volatileImage, 0, volatileImage.capacity());
        copy.durableImage.put(0, volatileImage, 0, volatileImage.capacity());
        return copy;
    }

    @Override
    public long sizeBytes() {
        return volatileImage.capacity();
    }

    @Override
    public String mode() {
        return "simulated";
    }

    @Override
    public synchronized long readLong(long offset) {
        checkRange(offset, Long.BYTES);
        return volatileImage.getLong((int) offset);
    }

    @Override
    public synchronized int readInt(long offset) {
        checkRange(offset, Integer.BYTES);
        return volatileImage.getInt((int) offset);
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange(offset, length);
        dst.put(volatileImage.slice((int) offset, length));
    }

    @Override
    public synchronized void writeLong(long offset, long value) {
        checkAligned(offset, Long.BYTES);
        before("writeLong");
        volatileImage.putLong((int) offset, value);
        markStored(offset, Long.BYTES);
    }

    @Override
    public synchronized void writeInt(long offset, int value) {
        checkAligned(offset, Integer.BYTES);
        before("writeInt");
        volatileImage.putInt((int) offset, value);
        markStored(offset, Integer.BYTES);
    }

    @Override
    public synchronized void writePersistent(long offset, ByteBuffer src) {
        int length = src.remaining();
        checkRange(offset, length);
        before("writePersistent");
        volatileImage.put((int) offset, src, src.position(), length);
        src.position(src.position() + length);
        markStored(offset, length);
        markFlushed(offset, length);
    }

    @Override
    public synchronized void flush(long offset, long lengthBytes) {
        checkRange(offset, lengthBytes);
        before("flush");
        markFlushed(offset, lengthBytes);
    }

    @Override
    public synchronized void drain() {
        before("drain");
        for (int w = flushed.nextSetBit(0); w >= 0; w = flushed.nextSetBit(w + 1)) {
            durableImage.putLong(w * WORD_BYTES, volatileImage.getLong(w * WORD_BYTES));
            dirty.clear(w);
        }
        flushed.clear();
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void before(String operation) {
        if (closed) {
            throw new IllegalStateException("simulated pmem device is closed");
        }
        operations++;
        Hook h = hook;
        if (h != null) {
            h.beforeOperation(this, operation);
        }
    }

    private void markStored(long offset, long length) {
        int first = (int) (offset / WORD_BYTES);
        int end = (int) ((offset + length + WORD_BYTES - 1) / WORD_BYTES);
        dirty.set(first, end);
        flushed.clear(first, end);
    }

    private void markFlushed(long offset, long length) {
        int first = (int) (offset / WORD_BYTES);
        int end = (int) ((offset + length + WORD_BYTES - 1) / WORD_BYTES);
        // Only words that differ need a write-back; flushing a clean word is a no-op.
        BitSet range = dirty.get(first, end);
        for (int w = range.nextSetBit(0); w >= 0; w = range.nextSetBit(w + 1)) {
            flushed.set(first + w);
        }
    }

    private void checkAligned(long offset, int width) {
        if (offset % width != 0) {
            throw new IllegalArgumentException("unaligned " + width + "-byte store at offset " + offset);
        }
        checkRange(offset, width);
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > volatileImage.capacity()) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + length)
                    + ") outside device of " + volatileImage.capacity() + " bytes");
        }
    }
}

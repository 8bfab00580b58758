package io.pmtarget.engine.pmem;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ReadOnlyBufferException;

import static io.pmtarget.engine.pmem.UnsafeAccess.BYTE_ARRAY_BASE_OFFSET;
import static io.pmtarget.engine.pmem.UnsafeAccess.UNSAFE;

/**
 * {@link PmemDevice} over a {@link PmemMapping}: loads and stores go straight to the mapped memory by raw
 * address, durability goes through a {@link Persister} (native cache-line instructions or msync).
 * Every access is bounds-checked before any raw address is formed: a bad offset is a bug that must not
 * scribble over the JVM's memory. Obtain instances from {@link PmemDevices#open}.
 *
 * <p>Thread safety: loads, stores, flushes and drains may run from any number of threads (they act on
 * memory, as the hardware does); {@link #close()} must not race with them.
 */
final class MappedPmemDevice implements PmemDevice {

    /** Heap sources without an accessible array are copied through a thread-local chunk of this size. */
    static final int STAGING_CHUNK_BYTES = 64 * 1024;

    private static final ThreadLocal<byte[]> STAGING = ThreadLocal.withInitial(() -> new byte[STAGING_CHUNK_BYTES]);

    private final PmemMapping mapping;
    /** The mapping's windows for {@link #view}, fetched at the first view (racy but idempotent). */
    private volatile MappedByteBuffer[] views;
    private final Persister persister;
    private final long sizeBytes;
    private final long base;
    private final String mode;
    private boolean closed;

    MappedPmemDevice(PmemMapping mapping, Persister persister) {
        this.mapping = mapping;
        this.persister = persister;
        this.sizeBytes = mapping.sizeBytes();
        this.base = mapping.baseAddress();
        this.mode = persister.name() + (mapping.isMapSync() ? "+map_sync" : "");
        assert base != 0 && sizeBytes > 0;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public String mode() {
        return mode;
    }

    @Override
    public long readLong(long offset) {
        checkRange(offset, Long.BYTES);
        return UNSAFE.getLongVolatile(null, base + offset);
    }

    @Override
    public int readInt(long offset) {
        checkRange(offset, Integer.BYTES);
        return UNSAFE.getIntVolatile(null, base + offset);
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        int length = dst.remaining();
        checkRange(offset, length);
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        if (dst.isDirect()) {
            UNSAFE.copyMemory(base + offset, UnsafeAccess.addressAtPosition(dst), length);
        } else {
            UNSAFE.copyMemory(null, base + offset, dst.array(),
                    BYTE_ARRAY_BASE_OFFSET + dst.arrayOffset() + dst.position(), length);
        }
        dst.position(dst.position() + length);
    }

    @Override
    public void writeLong(long offset, long value) {
        checkRange(offset, Long.BYTES);
        checkAligned(offset, Long.BYTES);
        // Volatile: a concurrent reader sees the whole word, and the store is ordered before a later flush.
        UNSAFE.putLongVolatile(null, base + offset, value);
    }

    @Override
    public void writeInt(long offset, int value) {
        checkRange(offset, Integer.BYTES);
        checkAligned(offset, Integer.BYTES);
        UNSAFE.putIntVolatile(null, base + offset, value);
    }

    @Override
    public void writePersistent(long offset, ByteBuffer src) {
        int length = src.remaining();
        checkRange(offset, length);
        if (length == 0) {
            return;
        }
        long dst = base + offset;
        if (src.isDirect()) {
            persister.copyPersistent(offset, dst, UnsafeAccess.addressAtPosition(src), length);
        } else if (src.hasArray()) {
            persister.copyPersistent(offset, dst, src.array(), src.arrayOffset() + src.position(), length);
        } else {
            copyReadOnlyHeap(offset, src.duplicate(), length);
        }
        src.position(src.position() + length);
    }

    @Override
    public ByteBuffer view(long offset, int lengthBytes) {
        checkRange(offset, lengthBytes);
        MappedByteBuffer[] windows = views;
        if (windows == null) {
            windows = mapping.msyncWindows();
            views = windows;
        }
        long windowBytes = mapping.msyncWindowBytes();
        int w = (int) Math.min(offset / windowBytes, windows.length - 1); // offset == size: the last window
        long start = offset - w * windowBytes;
        if (start + lengthBytes > windows[w].capacity()) {
            return null;
        }
        return windows[w].asReadOnlyBuffer().limit((int) start + lengthBytes).position((int) start);
    }

    @Override
    public void writeDurable(long dataOffset, ByteBuffer src, long wordsOffset, long first, long second) {
        checkRange(wordsOffset, 2 * Long.BYTES);
        checkAligned(wordsOffset, 2 * Long.BYTES);
        writeDurable(dataOffset, src, wordsOffset, base + wordsOffset, first, second);
    }

    @Override
    public void writeDurable(long dataOffset, ByteBuffer src) {
        writeDurable(dataOffset, src, 0, 0, 0, 0);
    }

    /** Both writeDurable forms; wordsAddress 0 = no words. wordsOffset is checked already. */
    private void writeDurable(long dataOffset, ByteBuffer src, long wordsOffset, long wordsAddress,
            long first, long second) {
        int length = src.remaining();
        checkRange(dataOffset, length);
        long dst = base + dataOffset;
        if (src.isDirect()) {
            persister.writeDurable(dataOffset, dst, UnsafeAccess.addressAtPosition(src), length,
                    wordsOffset, wordsAddress, first, second);
        } else if (src.hasArray()) {
            persister.writeDurable(dataOffset, dst, src.array(), src.arrayOffset() + src.position(), length,
                    wordsOffset, wordsAddress, first, second);
        } else {
            if (wordsAddress != 0) {
                writeLong(wordsOffset, first);
                writeLong(wordsOffset + Long.BYTES, second);
                flush(wordsOffset, 2 * Long.BYTES);
            }
            copyReadOnlyHeap(dataOffset, src.duplicate(), length);
            persister.drain();
        }
        src.position(src.position() + length);
    }

    @Override
    public void writeLongsPersistent(long firstOffset, int strideBytes, int[] indexes, int count, long value) {
        if (count < 0 || count > indexes.length || strideBytes <= 0) {
            throw new IllegalArgumentException("count " + count + " of " + indexes.length + ", stride " + strideBytes);
        }
        checkAligned(firstOffset, Long.BYTES);
        checkAligned(strideBytes, Long.BYTES);
        if (count == 0) {
            return;
        }
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            min = Math.min(min, indexes[i]);
            max = Math.max(max, indexes[i]);
        }
        if (min < 0) {
            throw new IndexOutOfBoundsException("negative index " + min);
        }
        checkRange(firstOffset, Long.BYTES);
        checkRange(firstOffset + (long) max * strideBytes, Long.BYTES);
        persister.writeLongsPersistent(base, firstOffset, strideBytes, indexes, count, value);
    }

    /** Read-only heap buffers hide their array: stage them through a bounded thread-local chunk. */
    private void copyReadOnlyHeap(long offset, ByteBuffer src, int length) {
        byte[] chunk = STAGING.get();
        int done = 0;
        while (done < length) { // bounded: length / STAGING_CHUNK_BYTES iterations
            int n = Math.min(chunk.length, length - done);
            src.get(chunk, 0, n);
            persister.copyPersistent(offset + done, base + offset + done, chunk, 0, n);
            done += n;
        }
    }

    @Override
    public void flush(long offset, long lengthBytes) {
        checkRange(offset, lengthBytes);
        if (lengthBytes > 0) {
            persister.flush(offset, base + offset, lengthBytes);
        }
    }

    @Override
    public void drain() {
        checkOpen();
        persister.drain();
    }

    @Override
    public void persistLong(long offset, long value) {
        checkRange(offset, Long.BYTES);
        checkAligned(offset, Long.BYTES);
        persister.persistLong(offset, base + offset, value);
    }

    @Override
    public void close() {
        closed = true;
        mapping.close();
    }

    @Override
    public String toString() {
        return "MappedPmemDevice[" + mapping.file() + ", " + sizeBytes + " bytes, " + mode + "]";
    }

    private void checkRange(long offset, long lengthBytes) {
        checkOpen();
        if (offset < 0 || lengthBytes < 0 || offset > sizeBytes - lengthBytes) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + lengthBytes
                    + ") outside the device of " + sizeBytes + " bytes");
        }
    }

    private static void checkAligned(long offset, int alignmentBytes) {
        if ((offset & (alignmentBytes - 1)) != 0) {
            throw new IllegalArgumentException("offset " + offset + " is not " + alignmentBytes + "-byte aligned");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("device closed: " + mapping.file());
        }
    }
}

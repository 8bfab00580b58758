package io.pmtarget.engine.volume;

import io.pmtarget.engine.pmem.PmemDevice;
import java.nio.ByteBuffer;

/**
 * A window of a pmem device starting at {@code baseBytes}: dm-writecache's start_sector skips that many
 * 512-byte sectors at the start of the cache device (e.g. a partition table) before the superblock.
 * Public for offline tools (CacheTool inspect --start-sector) that read such a device.
 */
public final class OffsetPmemDevice implements PmemDevice {

    private final PmemDevice inner;
    private final long baseBytes;

    public OffsetPmemDevice(PmemDevice inner, long baseBytes) {
        if (baseBytes < 0 || baseBytes % 8 != 0 || baseBytes >= inner.sizeBytes()) {
            throw new IllegalArgumentException("start_sector: offset " + baseBytes
                    + " bytes is not inside the cache device of " + inner.sizeBytes() + " bytes");
        }
        this.inner = inner;
        this.baseBytes = baseBytes;
    }

    @Override
    public long sizeBytes() {
        return inner.sizeBytes() - baseBytes;
    }

    @Override
    public String mode() {
        return inner.mode();
    }

    @Override
    public boolean persistsWithoutBlocking() {
        return inner.persistsWithoutBlocking();
    }

    @Override
    public long readLong(long offset) {
        return inner.readLong(baseBytes + offset);
    }

    @Override
    public int readInt(long offset) {
        return inner.readInt(baseBytes + offset);
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        inner.read(baseBytes + offset, dst);
    }

    @Override
    public void writeLong(long offset, long value) {
        inner.writeLong(baseBytes + offset, value);
    }

    @Override
    public ByteBuffer view(long offset, int lengthBytes) {
        return inner.view(baseBytes + offset, lengthBytes);
    }

    @Override
    public void writeInt(long offset, int value) {
        inner.writeInt(baseBytes + offset, value);
    }

    @Override
    public void writePersistent(long offset, ByteBuffer src) {
        inner.writePersistent(baseBytes + offset, src);
    }

    @Override
    public void flush(long offset, long lengthBytes) {
        inner.flush(baseBytes + offset, lengthBytes);
    }

    @Override
    public void writeDurable(long dataOffset, ByteBuffer src, long wordsOffset, long first, long second) {
        inner.writeDurable(baseBytes + dataOffset, src, baseBytes + wordsOffset, first, second);
    }

    @Override
    public void writeDurable(long dataOffset, ByteBuffer src) {
        inner.writeDurable(baseBytes + dataOffset, src);
    }

    @Override
    public void writeLongsPersistent(long firstOffset, int strideBytes, int[] indexes, int count, long value) {
        inner.writeLongsPersistent(baseBytes + firstOffset, strideBytes, indexes, count, value);
    }

    @Override
    public void persistLong(long offset, long value) {
        inner.persistLong(baseBytes + offset, value);
    }

    @Override
    public void drain() {
        inner.drain();
    }

    @Override
    public void close() {
        inner.close();
    }
}

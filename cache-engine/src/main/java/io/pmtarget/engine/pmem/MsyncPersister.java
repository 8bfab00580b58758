package io.pmtarget.engine.pmem;

import java.nio.MappedByteBuffer;

/**
 * Pure-Java durability: {@link MappedByteBuffer#force(int, int)} (msync with MS_SYNC on the pages of the
 * range) at every flush, so the write-back is complete when {@link #flush} returns and {@link #drain} only
 * needs a fence.
 *
 * <p>What it guarantees: on a page-cache file (tmpfs, ext4/xfs without DAX) a store is in the page cache
 * at once, which survives a crash of this process (kill -9) but not of the kernel; after msync the data is
 * also on the file's storage, so on a normal disk file system it survives power loss (on tmpfs nothing
 * survives power loss). On a synchronous (MAP_SYNC, DAX) mapping the JDK implements {@code force} as a
 * cache-line write-back plus fence, which makes the stores durable on real persistent memory.
 * msync works on whole pages, so it is much slower than a cache-line flush (one system call per flush).
 */
final class MsyncPersister implements Persister {

    private final MappedByteBuffer[] windows;
    private final long windowBytes;

    MsyncPersister(PmemMapping mapping) {
        this.windows = mapping.msyncWindows();
        this.windowBytes = mapping.msyncWindowBytes();
    }

    @Override
    public String name() {
        return "java-msync";
    }

    @Override
    public void copyPersistent(long offset, long dstAddress, long srcAddress, long lengthBytes) {
        UnsafeAccess.UNSAFE.copyMemory(srcAddress, dstAddress, lengthBytes);
        flush(offset, dstAddress, lengthBytes);
    }

    @Override
    public void copyPersistent(long offset, long dstAddress, byte[] src, int srcIndex, int lengthBytes) {
        UnsafeAccess.UNSAFE.copyMemory(src, UnsafeAccess.BYTE_ARRAY_BASE_OFFSET + srcIndex, null, dstAddress,
                lengthBytes);
        flush(offset, dstAddress, lengthBytes);
    }

    @Override
    public void flush(long offset, long address, long lengthBytes) {
        long pos = offset;
        long end = offset + lengthBytes;
        // Bounded: one iteration per 1 GiB window the range touches.
        while (pos < end) {
            int w = (int) (pos / windowBytes);
            long windowStart = w * windowBytes;
            long n = Math.min(end, windowStart + windows[w].capacity()) - pos;
            assert n > 0 : "empty msync step at " + pos;
            windows[w].force((int) (pos - windowStart), (int) n);
            pos += n;
        }
    }

    @Override
    public void drain() {
        // msync already completed the write-back; the fence orders later stores after it.
        UnsafeAccess.UNSAFE.fullFence();
    }

    @Override
    public void writeDurable(long dataOffset, long dstAddress, long srcAddress, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second) {
        storeWords(wordsOffset, wordsAddress, first, second);
        copyPersistent(dataOffset, dstAddress, srcAddress, lengthBytes);
        drain();
    }

    @Override
    public void writeDurable(long dataOffset, long dstAddress, byte[] src, int srcIndex, int lengthBytes,
            long wordsOffset, long wordsAddress, long first, long second) {
        storeWords(wordsOffset, wordsAddress, first, second);
        copyPersistent(dataOffset, dstAddress, src, srcIndex, lengthBytes);
        drain();
    }

    private void storeWords(long wordsOffset, long wordsAddress, long first, long second) {
        if (wordsAddress != 0) {
            UnsafeAccess.UNSAFE.putLongVolatile(null, wordsAddress, first);
            UnsafeAccess.UNSAFE.putLongVolatile(null, wordsAddress + Long.BYTES, second);
            flush(wordsOffset, wordsAddress, 2 * Long.BYTES);
        }
    }

    @Override
    public void writeLongsPersistent(long base, long firstOffset, int strideBytes, int[] indexes, int count,
            long value) {
        for (int i = 0; i < count; i++) {
            long offset = firstOffset + (long) indexes[i] * strideBytes;
            UnsafeAccess.UNSAFE.putLongVolatile(null, base + offset, value);
            flush(offset, base + offset, Long.BYTES);
        }
    }

    @Override
    public void persistLong(long offset, long address, long value) {
        UnsafeAccess.UNSAFE.putLongVolatile(null, address, value);
        flush(offset, address, Long.BYTES);
    }
}

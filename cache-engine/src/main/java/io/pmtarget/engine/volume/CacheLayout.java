package io.pmtarget.engine.volume;

import io.pmtarget.engine.pmem.PmemDevice;

/**
 * The on-media format of the cache device: dm-writecache version 1, little-endian, so a cache file is
 * interchangeable with the Linux kernel's dm-writecache (persistent-memory mode).
 *
 * <pre>
 * offset 0                      superblock, 64 bytes
 *   +0  u32 magic      0x23489321       {@link #SB_MAGIC_OFFSET}
 *   +4  u32 version    1                {@link #SB_VERSION_OFFSET}
 *   +8  u32 block_size bytes            {@link #SB_BLOCK_SIZE_OFFSET}
 *   +12 u32 pad        0                {@link #SB_PAD_OFFSET}
 *   +16 u64 n_blocks                    {@link #SB_N_BLOCKS_OFFSET}
 *   +24 u64 seq_count  commit counter   {@link #SB_SEQ_COUNT_OFFSET}
 *   +32 .. +63 zero
 * offset 64 + 16*i              entry i, 16 bytes ({@link #ENTRY_BYTES})
 *   +0  u64 original_sector (512-byte sectors of the backing device)
 *   +8  u64 seq_count (all ones = free)
 * offset dataStart + i*block_size   data block i,
 *   dataStart = align_up(64 + 16*n_blocks, block_size)
 * </pre>
 *
 * A block is committed iff its entry's seq_count is below the superblock's seq_count. The superblock's
 * seq_count is the commit point: one aligned 8-byte store.
 */
public final class CacheLayout {

    public static final int MAGIC = 0x23489321;
    public static final int VERSION = 1;
    public static final int SUPERBLOCK_BYTES = 64;
    public static final int SB_MAGIC_OFFSET = 0;
    public static final int SB_VERSION_OFFSET = 4;
    public static final int SB_BLOCK_SIZE_OFFSET = 8;
    public static final int SB_PAD_OFFSET = 12;
    public static final int SB_N_BLOCKS_OFFSET = 16;
    public static final int SB_SEQ_COUNT_OFFSET = 24;
    public static final int ENTRY_BYTES = 16;
    public static final int ENTRY_SECTOR_OFFSET = 0;
    public static final int ENTRY_SEQ_OFFSET = 8;
    public static final long SEQ_FREE = -1L;
    public static final int SECTOR_BYTES = 512;
    public static final int BLOCK_SIZE_MIN = 512;
    public static final int BLOCK_SIZE_MAX = 4096;

    private final int blockSizeBytes;
    private final long nBlocks;
    private final long dataStartBytes;

    public CacheLayout(int blockSizeBytes, long nBlocks) {
        checkBlockSize(blockSizeBytes);
        if (nBlocks <= 0) {
            throw new IllegalArgumentException("n_blocks must be positive: " + nBlocks);
        }
        this.blockSizeBytes = blockSizeBytes;
        this.nBlocks = nBlocks;
        this.dataStartBytes = alignUp(SUPERBLOCK_BYTES + ENTRY_BYTES * nBlocks, blockSizeBytes);
    }

    /**
     * The layout dm-writecache chooses for a device of {@code deviceBytes}: n_blocks = size / (block_size + 16),
     * decremented until metadata plus data fit; null when not even one block fits.
     */
    public static CacheLayout forDevice(long deviceBytes, int blockSizeBytes) {
        checkBlockSize(blockSizeBytes);
        long n = deviceBytes / (blockSizeBytes + ENTRY_BYTES);
        while (n > 0 && alignUp(SUPERBLOCK_BYTES + ENTRY_BYTES * n, blockSizeBytes) + n * blockSizeBytes > deviceBytes) {
            n--;
        }
        return n > 0 ? new CacheLayout(blockSizeBytes, n) : null;
    }

    public static void checkBlockSize(int blockSizeBytes) {
        if (blockSizeBytes < BLOCK_SIZE_MIN || blockSizeBytes > BLOCK_SIZE_MAX || Integer.bitCount(blockSizeBytes) != 1) {
            throw new IllegalArgumentException("block size must be a power of two in 512..4096: " + blockSizeBytes);
        }
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    public int blockSizeBytes() {
        return blockSizeBytes;
    }

    public long nBlocks() {
        return nBlocks;
    }

    public long dataStartBytes() {
        return dataStartBytes;
    }

    public long requiredBytes() {
        return dataStartBytes + nBlocks * blockSizeBytes;
    }

    public static long entryOffset(long index) {
        return SUPERBLOCK_BYTES + ENTRY_BYTES * index;
    }

    public long dataOffset(long index) {
        return dataStartBytes + index * blockSizeBytes;
    }

    /**
     * Formats a blank device (magic and version both zero): every entry free, seq_count 0 (dm-writecache
     * starts at 0 too), all made durable before the magic is stored last, so a crash mid-format leaves a
     * device that is still blank to the next attempt.
     */
    public static CacheLayout format(PmemDevice device, int blockSizeBytes) {
        if (device.readInt(SB_MAGIC_OFFSET) != 0 || device.readInt(SB_VERSION_OFFSET) != 0) {
            throw new IllegalStateException("refusing to format: the cache device already has a header (magic 0x"
                    + Integer.toHexString(device.readInt(SB_MAGIC_OFFSET)) + ", version "
                    + device.readInt(SB_VERSION_OFFSET) + ")");
        }
        CacheLayout layout = forDevice(device.sizeBytes(), blockSizeBytes);
        if (layout == null) {
            throw new IllegalStateException("cache device of " + device.sizeBytes()
                    + " bytes is too small for one block of " + blockSizeBytes + " bytes");
        }
        for (long i = 0; i < layout.nBlocks; i++) {
            long off = entryOffset(i);
            device.writeLong(off + ENTRY_SECTOR_OFFSET, 0);
            device.writeLong(off + ENTRY_SEQ_OFFSET, SEQ_FREE);
        }
        device.flush(SUPERBLOCK_BYTES, ENTRY_BYTES * layout.nBlocks);
        device.writeInt(SB_BLOCK_SIZE_OFFSET, blockSizeBytes);
        device.writeInt(SB_PAD_OFFSET, 0);
        device.writeLong(SB_N_BLOCKS_OFFSET, layout.nBlocks);
        device.writeLong(SB_SEQ_COUNT_OFFSET, 0);
        for (int off = 32; off < SUPERBLOCK_BYTES; off += 8) {
            device.writeLong(off, 0);
        }
        device.flush(0, SUPERBLOCK_BYTES);
        device.drain();
        // Magic and version share one aligned 8-byte word: one atomic store makes the format visible.
        device.writeLong(SB_MAGIC_OFFSET, ((long) VERSION << 32) | (MAGIC & 0xFFFFFFFFL));
        device.flush(0, 8);
        device.drain();
        return layout;
    }

    /** True when the device is blank (magic and version both zero): it may be formatted. */
    public static boolean isBlank(PmemDevice device) {
        return device.sizeBytes() >= SUPERBLOCK_BYTES
                && device.readInt(SB_MAGIC_OFFSET) == 0 && device.readInt(SB_VERSION_OFFSET) == 0;
    }

    /**
     * Validates the superblock of a formatted device against the expected block size; throws
     * {@link IllegalStateException} with the reason, touching nothing.
     */
    public static CacheLayout load(PmemDevice device, int expectedBlockSizeBytes) {
        if (device.sizeBytes() < SUPERBLOCK_BYTES) {
            throw new IllegalStateException("cache device of " + device.sizeBytes() + " bytes has no room for a superblock");
        }
        int magic = device.readInt(SB_MAGIC_OFFSET);
        int version = device.readInt(SB_VERSION_OFFSET);
        if (magic != MAGIC) {
            throw new IllegalStateException("not a dm-writecache device: magic 0x" + Integer.toHexString(magic)
                    + " (expected 0x" + Integer.toHexString(MAGIC) + ")");
        }
        if (version != VERSION) {
            throw new IllegalStateException("unsupported dm-writecache version " + version + " (expected 1)");
        }
        int blockSize = device.readInt(SB_BLOCK_SIZE_OFFSET);
        if (blockSize != expectedBlockSizeBytes) {
            throw new IllegalStateException("cache device has block size " + blockSize
                    + ", the volume asks for " + expectedBlockSizeBytes);
        }
        long nBlocks = device.readLong(SB_N_BLOCKS_OFFSET);
        if (nBlocks <= 0) {
            throw new IllegalStateException("damaged superblock: n_blocks " + nBlocks);
        }
        CacheLayout layout = new CacheLayout(blockSize, nBlocks);
        if (layout.requiredBytes() > device.sizeBytes()) {
            throw new IllegalStateException("damaged superblock: n_blocks " + nBlocks + " needs "
                    + layout.requiredBytes() + " bytes, the device has " + device.sizeBytes());
        }
        return layout;
    }
}

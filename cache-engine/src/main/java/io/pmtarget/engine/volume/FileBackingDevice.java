package io.pmtarget.engine.volume;

import io.pmtarget.engine.pmem.HolePunch;
import io.pmtarget.engine.pmem.PmemDevices;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A backing device on a file (or a block device node) through {@link FileChannel}.
 *
 * <p>Discard: with the native helper ({@link HolePunch}), a file gets fallocate(PUNCH_HOLE | KEEP_SIZE)
 * (space returns to the file system, the range reads zeros) and a block device gets BLKDISCARD (the range
 * is then not guaranteed to read zeros: {@link #discardReadsZeros()} is false, so the SCSI layer reports
 * LBPRZ=0). Without the helper, or where the file system cannot punch holes, discard writes zeros in
 * bounded chunks ({@link #ZERO_CHUNK_BYTES}), skipping chunks that already read as zeros so never-written
 * (sparse) space is not allocated. A crash during an unacknowledged discard may leave an uncached block
 * partly discarded at sector granularity (cached blocks are not affected: their cache entries are freed
 * only after the discard is durable); an acknowledged discard reads zeros (on a file).
 */
public final class FileBackingDevice implements BackingDevice {

    /** One zero buffer, 1 MiB: bounded memory per discard, few system calls per range. */
    static final int ZERO_CHUNK_BYTES = 1 << 20;

    /** st_mode file type bits and the block-device type (stat(2)). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final FileChannel channel;
    private final long sizeBytes;
    private final Path path;
    private final boolean blockDevice;
    /** The file lives on tmpfs or ramfs: a read is a memory copy (see {@link #readsWithoutBlocking()}). */
    private final boolean inRam;
    /** Cleared when the file system answers "not supported" once; then discard writes zeros. */
    private volatile boolean punchHoles;

    private FileBackingDevice(FileChannel channel, long sizeBytes, Path path, boolean blockDevice) {
        this.channel = channel;
        this.sizeBytes = sizeBytes;
        this.path = path;
        this.blockDevice = blockDevice;
        this.inRam = !blockDevice && PmemDevices.onRamFileSystem(path);
        this.punchHoles = HolePunch.available();
    }

    private static boolean isBlockDevice(Path path) throws IOException {
        try {
            return ((Integer) Files.getAttribute(path, "unix:mode") & S_IFMT) == S_IFBLK;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** Opens {@code path}; a missing file is created sparse with {@code createSizeBytes} (0 = must exist). */
    public static FileBackingDevice open(Path path, long createSizeBytes) throws IOException {
        boolean exists = Files.exists(path);
        if (!exists && createSizeBytes <= 0) {
            throw new IOException("backing device " + path + " does not exist and no size was given to create it");
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        try {
            long size = ch.size();
            if (!exists || (size == 0 && createSizeBytes > 0)) {
                // Extending by one byte at the end makes a sparse file of the requested size.
                ch.write(ByteBuffer.allocate(1), createSizeBytes - 1);
                ch.force(true);
                size = createSizeBytes;
            }
            if (size == 0) {
                // A block device whose size the JDK reports as 0 (fstat st_size) cannot be used safely:
                // every LBA check depends on the size. Say so instead of guessing.
                throw new IOException("backing device " + path + " reports size 0; give a file, or a device"
                        + " whose size the JDK can read");
            }
            return new FileBackingDevice(ch, size, path, isBlockDevice(path));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void read(long offsetBytes, ByteBuffer dst) throws IOException {
        long pos = offsetBytes;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new EOFException("backing device ends at " + pos + " bytes");
            }
            pos += n;
        }
    }

    @Override
    public void write(long offsetBytes, ByteBuffer src) throws IOException {
        long pos = offsetBytes;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public boolean readsWithoutBlocking() {
        return inRam;
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
    }

    /** False only for a block device discarded with BLKDISCARD (native helper present). */
    @Override
    public boolean discardReadsZeros() {
        return !(blockDevice && punchHoles);
    }

    /** Tests: forces the portable zero-writing discard even where holes could be punched. */
    void useZeroWrites() {
        punchHoles = false;
    }

    /** True when discards punch holes (or BLKDISCARD) instead of writing zeros. */
    public boolean punchesHoles() {
        return punchHoles;
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
        if (lengthBytes <= 0) {
            return;
        }
        if (punchHoles) {
            HolePunch.Outcome outcome = HolePunch.punch(path, offsetBytes, lengthBytes);
            if (outcome != HolePunch.Outcome.UNSUPPORTED) {
                return;
            }
            if (blockDevice) {
                // LBPRZ was possibly reported as 0 already; stay consistent with what the initiator saw.
                throw new IOException("BLKDISCARD is not supported by " + path);
            }
            punchHoles = false;
        }
        writeZeros(offsetBytes, lengthBytes);
    }

    private void writeZeros(long offsetBytes, long lengthBytes) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZERO_CHUNK_BYTES, lengthBytes));
        ByteBuffer probe = ByteBuffer.allocateDirect(zeros.capacity());
        long end = offsetBytes + lengthBytes;
        for (long pos = offsetBytes; pos < end; pos += zeros.capacity()) {
            int len = (int) Math.min(zeros.capacity(), end - pos);
            probe.clear().limit(len);
            read(pos, probe);
            probe.flip();
            if (isZero(probe)) {
                continue;
            }
            zeros.clear().limit(len);
            write(pos, zeros);
        }
    }

    private static boolean isZero(ByteBuffer buf) {
        while (buf.remaining() >= 8) {
            if (buf.getLong() != 0) {
                return false;
            }
        }
        while (buf.hasRemaining()) {
            if (buf.get() != 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}

package io.pmtarget.engine.volume;

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
 * <p>Discard limitation: Java has no portable hole punching (fallocate(PUNCH_HOLE) / BLKDISCARD), and
 * spawning {@code fallocate} per UNMAP would put a process start on the I/O path. So discard writes zeros
 * in bounded chunks ({@link #ZERO_CHUNK_BYTES}); the range reads back as zeros, as SBC-4 requires with
 * LBPRZ=1, but space is not returned to the file system. Chunks that already read as zeros are skipped,
 * so discarding never-written (sparse) space does not allocate it.
 */
public final class FileBackingDevice implements BackingDevice {

    /** One zero buffer, 1 MiB: bounded memory per discard, few system calls per range. */
    static final int ZERO_CHUNK_BYTES = 1 << 20;

    private final FileChannel channel;
    private final long sizeBytes;

    private FileBackingDevice(FileChannel channel, long sizeBytes) {
        this.channel = channel;
        this.sizeBytes = sizeBytes;
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
            return new FileBackingDevice(ch, size);
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
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void discard(long offsetBytes, long lengthBytes) throws IOException {
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

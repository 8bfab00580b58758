package io.pmtarget.engine.pmem;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Returns discarded space to the file system or device through the native helper: fallocate(PUNCH_HOLE |
 * KEEP_SIZE) on a file, ioctl(BLKDISCARD) on a block device. Without the helper, {@link #available()} is
 * false and callers keep their portable fallback (writing zeros).
 */
public final class HolePunch {

    /** What a successful punch did. */
    public enum Outcome {
        /** A regular file: the range is a hole now and reads as zeros. */
        FILE_HOLE,
        /** A block device: the range was discarded; reads are not guaranteed to return zeros (SBC-4 LBPRZ=0). */
        BLOCK_DISCARD,
        /** The file system or device does not support it (EOPNOTSUPP and friends): use the fallback. */
        UNSUPPORTED
    }

    private static final int EOPNOTSUPP = 95;
    private static final int ENOTTY = 25;
    private static final int EINVAL = 22;

    private HolePunch() {
    }

    /** True when the native helper is loaded (it is built by the native-gcc Maven profile). */
    public static boolean available() {
        return NativePmem.load() == null;
    }

    /**
     * Punches {@code [offsetBytes, offsetBytes + lengthBytes)} of {@code path}. Throws for real I/O errors;
     * returns {@link Outcome#UNSUPPORTED} when the operation is not supported there.
     */
    public static Outcome punch(Path path, long offsetBytes, long lengthBytes) throws IOException {
        if (offsetBytes < 0 || lengthBytes <= 0 || offsetBytes + lengthBytes < 0) {
            throw new IllegalArgumentException("bad range [" + offsetBytes + ", +" + lengthBytes + ")");
        }
        if (!available()) {
            throw new IllegalStateException("native helper not loaded: " + NativePmem.load());
        }
        int r = NativePmem.punchHole(path.toAbsolutePath().toString(), offsetBytes, lengthBytes);
        if (r == NativePmem.PUNCH_FILE_HOLE) {
            return Outcome.FILE_HOLE;
        }
        if (r == NativePmem.PUNCH_BLOCK_DISCARD) {
            return Outcome.BLOCK_DISCARD;
        }
        if (r == -EOPNOTSUPP || r == -ENOTTY || r == -EINVAL) {
            return Outcome.UNSUPPORTED;
        }
        throw new IOException("discarding [" + offsetBytes + ", +" + lengthBytes + ") of " + path
                + " failed: errno " + -r);
    }
}

package io.pmtarget.it.crash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The self-describing logical block that {@code it/src/test/c/iscsi-crashload.c} writes (its
 * header comment draws the layout; this class must match it byte for byte):
 * <pre>
 *   0  u64 magic "PMTCRSH1"   8 u32 round   12 u32 index of the block in its write
 *  16  u64 seq               24 u64 lba    32.. filler (xorshift64* seeded from round/seq/lba)
 *  blockBytes-8  u64 FNV-1a 64 over bytes [0, blockBytes-8)
 * </pre>
 * A block made of bytes from two versions, a block of garbage, or a block that landed on the
 * wrong LBA cannot decode as a {@link Kind#VERSION} of its own LBA.
 */
final class BlockFormat {

    static final long MAGIC = 0x3148535243544d50L;
    static final int HEADER_BYTES = 32;
    static final int CHECKSUM_BYTES = 8;
    static final int BLOCK_BYTES_MIN = 64;

    enum Kind { ZERO, VERSION, GARBAGE }

    /**
     * What one block on the LUN holds.
     *
     * @param round  workload round that wrote it (VERSION only)
     * @param seq    sequence number of its write within the round (VERSION only)
     * @param index  block index within that write (VERSION only)
     * @param reason why it is GARBAGE (else null)
     */
    record Observed(Kind kind, int round, long seq, int index, String reason) {
        static final Observed ZERO = new Observed(Kind.ZERO, 0, 0, 0, null);

        static Observed garbage(String reason) {
            return new Observed(Kind.GARBAGE, 0, 0, 0, reason);
        }

        String describe() {
            return switch (kind) {
                case ZERO -> "zeros";
                case VERSION -> "round " + round + " seq " + seq + " (block " + index + " of its write)";
                case GARBAGE -> "garbage: " + reason;
            };
        }
    }

    private BlockFormat() {
    }

    /** Decodes the block at {@code offsetBytes} of {@code image}, which the LUN holds at {@code lba}. */
    static Observed decode(byte[] image, int offsetBytes, int blockBytes, long lba) {
        checkBlockBytes(blockBytes);
        ByteBuffer b = ByteBuffer.wrap(image, offsetBytes, blockBytes).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (allZero(b, blockBytes)) {
            return Observed.ZERO;
        }
        long magic = b.getLong(0);
        if (magic != MAGIC) {
            return Observed.garbage(String.format("magic %016x, expected %016x", magic, MAGIC));
        }
        long stored = b.getLong(blockBytes - CHECKSUM_BYTES);
        long computed = fnv1a64(image, offsetBytes, blockBytes - CHECKSUM_BYTES);
        if (stored != computed) {
            return Observed.garbage(String.format("checksum %016x, computed %016x (torn or mixed block; header says"
                    + " round %d seq %d lba %d)", stored, computed, b.getInt(8), b.getLong(16), b.getLong(24)));
        }
        long headerLba = b.getLong(24);
        if (headerLba != lba) {
            return Observed.garbage("a valid block of lba " + headerLba + " (round " + b.getInt(8) + " seq "
                    + b.getLong(16) + ") found at lba " + lba);
        }
        return new Observed(Kind.VERSION, b.getInt(8), b.getLong(16), b.getInt(12), null);
    }

    /** Writes the block the C tool writes for (round, index, seq, lba): expected images, tests. */
    static void encode(byte[] dst, int offsetBytes, int blockBytes, int round, int index, long seq, long lba) {
        checkBlockBytes(blockBytes);
        ByteBuffer b = ByteBuffer.wrap(dst, offsetBytes, blockBytes).slice().order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, MAGIC).putInt(8, round).putInt(12, index).putLong(16, seq).putLong(24, lba);
        long[] state = {fillerSeed(round, seq, lba)};
        for (int off = HEADER_BYTES; off + 8 <= blockBytes - CHECKSUM_BYTES; off += 8) {
            b.putLong(off, next(state));
        }
        b.putLong(blockBytes - CHECKSUM_BYTES, fnv1a64(dst, offsetBytes, blockBytes - CHECKSUM_BYTES));
    }

    /** Same mix as filler_seed() in the C tool; never 0 (xorshift would stay at 0). */
    static long fillerSeed(int round, long seq, long lba) {
        long s = 0x9E3779B97F4A7C15L * (seq + 1) ^ (lba * 0xC2B2AE3D27D4EB4FL) ^ ((round & 0xFFFFFFFFL) << 40);
        return s == 0 ? 1 : s;
    }

    /** xorshift64*, as rng_next() in the C tool (logical shifts: C's are on uint64_t). */
    static long next(long[] state) {
        long x = state[0];
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state[0] = x;
        return x * 0x2545F4914F6CDD1DL;
    }

    static long fnv1a64(byte[] data, int offset, int length) {
        long h = 0xcbf29ce484222325L;
        for (int i = offset; i < offset + length; i++) {
            h ^= data[i] & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static boolean allZero(ByteBuffer b, int blockBytes) {
        for (int off = 0; off < blockBytes; off += 8) {
            if (b.getLong(off) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkBlockBytes(int blockBytes) {
        if (blockBytes < BLOCK_BYTES_MIN || blockBytes % 8 != 0) {
            throw new IllegalArgumentException("block size " + blockBytes + " bytes: need a multiple of 8, >= "
                    + BLOCK_BYTES_MIN);
        }
    }
}

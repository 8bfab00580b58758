package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;

/** READ CAPACITY, READ, WRITE, WRITE AND VERIFY, VERIFY, SYNCHRONIZE CACHE (SBC-4 5). */
final class BlockCommands {

    private BlockCommands() {
    }

    /** LBA field of a READ/WRITE/VERIFY/SYNCHRONIZE CACHE/WRITE SAME CDB (negative = beyond 2^63). */
    static long lba(byte[] cdb) {
        switch (groupLength(cdb[0])) {
            case 6:
                return Cdb.u24(cdb, 1) & 0x1FFFFF;
            case 10:
            case 12:
                return Cdb.u32(cdb, 2);
            default:
                return Cdb.u64(cdb, 2);
        }
    }

    /** TRANSFER LENGTH (or VERIFY/NUMBER OF LOGICAL BLOCKS) field, in blocks. */
    static long blocks(byte[] cdb) {
        switch (groupLength(cdb[0])) {
            case 6:
                int n = Cdb.u8(cdb, 4);
                return n == 0 ? 256 : n; // SBC-4 5.17: READ(6)/WRITE(6) length 0 means 256 blocks
            case 10:
                return Cdb.u16(cdb, 7);
            case 12:
                return Cdb.u32(cdb, 6);
            default:
                return Cdb.u32(cdb, 10);
        }
    }

    /** Byte index of the length field, for the sense field pointer. */
    static int blocksField(byte[] cdb) {
        switch (groupLength(cdb[0])) {
            case 6:
                return 4;
            case 10:
                return 7;
            default:
                return groupLength(cdb[0]) == 12 ? 6 : 10;
        }
    }

    /** CDB length by group code (SPC-5 4.3.4.1). */
    static int groupLength(byte opcode) {
        switch ((opcode & 0xE0) >>> 5) {
            case 0:
                return 6;
            case 1:
            case 2:
                return 10;
            case 4:
                return 16;
            case 5:
                return 12;
            default:
                throw new AssertionError("no fixed CDB length for opcode " + (opcode & 0xFF));
        }
    }

    static ScsiResponse readCapacity10(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        // SBC-3 5.15: with PMI = 0 the LBA field must be zero (SBC-4 made both obsolete).
        if ((cdb[8] & 0x01) == 0 && Cdb.u32(cdb, 2) != 0) {
            throw ScsiException.cdb(2, ScsiException.NONE);
        }
        byte[] d = new byte[8];
        long lastLba = lu.capacityBlocks - 1;
        // 0xFFFFFFFF tells the initiator to use READ CAPACITY(16) (SBC-4 5.20.2).
        Cdb.putInt(d, 0, lastLba >= 0xFFFFFFFFL ? -1 : (int) lastLba);
        Cdb.putInt(d, 4, lu.blockBytes);
        return target.dataIn(d, d.length, d.length);
    }

    static ScsiResponse readCapacity16(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        if ((cdb[14] & 0x01) == 0 && Cdb.u64(cdb, 2) != 0) {
            throw ScsiException.cdb(2, ScsiException.NONE);
        }
        byte[] d = new byte[32];
        Cdb.putLong(d, 0, lu.capacityBlocks - 1);
        Cdb.putInt(d, 8, lu.blockBytes);
        // Byte 13: LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT 0: a LUN block is whole cache blocks.
        // Byte 14: LBPME = 1 (UNMAP and WRITE SAME with UNMAP work), LBPRZ if discards read zeros.
        d[14] = (byte) (0x80 | (lu.config.discardReadsZeros() ? 0x40 : 0));
        return target.dataIn(d, d.length, Cdb.u32(cdb, 10));
    }

    /** READ(6/10/12/16), SBC-4 5.15..5.18. DPO is a hint we ignore; FUA reads always see the newest data. */
    static ScsiResponse read(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return read(target, lu, request, false);
    }

    /**
     * READ on the caller's thread (the event loop) when it needs no blocking I/O; null declines, and
     * {@link #read} then runs on the LU executor.
     */
    static ScsiResponse tryRead(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return read(target, lu, request, true);
    }

    /** Both READ paths; with {@code inline}, null when the range lock or the volume would make it wait. */
    private static ScsiResponse read(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request, boolean inline) {
        byte[] cdb = request.cdb();
        long lba = lba(cdb);
        long blocks = blocks(cdb);
        checkTransfer(target, lu, cdb, lba, blocks);
        if (blocks == 0) {
            return BlockScsiTarget.GOOD; // SBC-4: transfer length 0 is not an error
        }
        long lockMask = lockShared(lu, lba, blocks, inline);
        if (lockMask == RangeLock.BUSY) {
            return null;
        }
        int lengthBytes = (int) (blocks * lu.blockBytes);
        ByteBuf buf = target.alloc.directBuffer(lengthBytes, lengthBytes);
        boolean done = false;
        try {
            ByteBuffer dst = buf.internalNioBuffer(0, lengthBytes);
            if (inline) {
                done = lu.tryRead(lba, dst);
            } else {
                lu.read(lba, dst);
                done = true;
            }
        } finally {
            lu.rangeLock.unlockShared(lockMask);
            if (!done) {
                buf.release();
            }
        }
        if (!done) {
            return null;
        }
        buf.writerIndex(lengthBytes);
        return new ScsiResponse(Sense.STATUS_GOOD, null, buf);
    }

    /**
     * The range's stripes shared: waiting for a COMPARE AND WRITE, or with {@code inline} not waiting and
     * answering {@link RangeLock#BUSY} instead ({@code blocks} >= 1, so a held mask is never BUSY).
     */
    private static long lockShared(LogicalUnit lu, long lba, long blocks, boolean inline) {
        return inline ? lu.rangeLock.tryLockShared(lba, blocks) : lu.rangeLock.lockShared(lba, blocks);
    }

    /** Range check first (LBA OUT OF RANGE), then the transfer limit we advertise in VPD B0. */
    static void checkTransfer(BlockScsiTarget target, LogicalUnit lu, byte[] cdb, long lba, long blocks) {
        lu.checkRange(lba, blocks);
        if (blocks > VpdPages.maxTransferBlocks(target, lu)) {
            throw ScsiException.cdb(blocksField(cdb), ScsiException.NONE);
        }
    }

    /**
     * The data-out for {@code blocks} blocks: iSCSI may carry less than the CDB asks (expected data
     * transfer length smaller, RFC 7143 11.4.5.2 overflow) or more. We write only whole blocks that
     * arrived and never more than the CDB says (libiscsi write10_residuals); a partial trailing block is
     * dropped. Returns the block count actually carried.
     */
    static long blocksCarried(LogicalUnit lu, ScsiRequest request, long blocks) {
        ByteBuf out = request.dataOut();
        long received = out == null ? 0 : out.readableBytes();
        long needed = blocks * lu.blockBytes;
        if (received >= needed) {
            return blocks;
        }
        // A partial block is not written: the transport reports the shortfall as residual
        // overflow (RFC 7143 11.4.5.1), which is what libiscsi's residual tests expect (tgtd too).
        return received / lu.blockBytes;
    }

    static ByteBuffer dataOut(ScsiRequest request, long offsetBytes, long lengthBytes) {
        ByteBuf out = request.dataOut();
        return out.nioBuffer(out.readerIndex() + (int) offsetBytes, (int) lengthBytes);
    }

    /** GOOD for a write whose CDB asked for {@code commandBytes} of data-out (for the residual). */
    private static ScsiResponse written(long commandBytes) {
        return new ScsiResponse(Sense.STATUS_GOOD, null, null, commandBytes);
    }

    /** WRITE(6/10/12/16), SBC-4 5.40..5.43. */
    static ScsiResponse write(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return write(target, lu, request, false);
    }

    /**
     * WRITE on the caller's thread when the cache takes it without waiting (with FUA or WCE = 0: and commits
     * it without waiting for another commit); null declines, and {@link #write} then runs on the LU
     * executor. GOOD here means exactly what it means there.
     */
    static ScsiResponse tryWrite(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return write(target, lu, request, true);
    }

    /** Both WRITE paths; with {@code inline}, null when the range lock or the volume would make it wait. */
    private static ScsiResponse write(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request, boolean inline) {
        byte[] cdb = request.cdb();
        long lba = lba(cdb);
        long blocks = blocks(cdb);
        checkTransfer(target, lu, cdb, lba, blocks);
        lu.checkWritable();
        boolean fua = lu.fua(groupLength(cdb[0]) != 6 && (cdb[1] & 0x08) != 0);
        ScsiResponse good = written(blocks * lu.blockBytes);
        blocks = blocksCarried(lu, request, blocks);
        if (blocks == 0) {
            return good;
        }
        long lockMask = lockShared(lu, lba, blocks, inline);
        if (lockMask == RangeLock.BUSY) {
            return null;
        }
        try {
            ByteBuffer src = dataOut(request, 0, blocks * lu.blockBytes);
            if (inline) {
                return lu.tryWrite(lba, src, fua) ? good : null;
            }
            lu.write(lba, src, fua);
            return good;
        } finally {
            lu.rangeLock.unlockShared(lockMask);
        }
    }

    /** WRITE AND VERIFY(10/16), SBC-4 5.44: write to the medium (FUA), then verify (BYTCHK 00b/01b). */
    static ScsiResponse writeAndVerify(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int bytchk = (cdb[1] >>> 1) & 0x03;
        if (bytchk > 1) {
            throw ScsiException.cdb(1, 2);
        }
        long lba = lba(cdb);
        long blocks = blocks(cdb);
        checkTransfer(target, lu, cdb, lba, blocks);
        lu.checkWritable();
        ScsiResponse good = written(blocks * lu.blockBytes);
        blocks = blocksCarried(lu, request, blocks);
        if (blocks == 0) {
            return good;
        }
        long lockMask = lu.rangeLock.lockShared(lba, blocks);
        try {
            lu.write(lba, dataOut(request, 0, blocks * lu.blockBytes), true);
            compareWithMedium(target, lu, request, lba, blocks, bytchk == 1, false);
        } finally {
            lu.rangeLock.unlockShared(lockMask);
        }
        return good;
    }

    /** VERIFY(10/16), SBC-4 5.37: BYTCHK 00b medium check, 01b compare, 11b one block vs every LBA. */
    static ScsiResponse verify(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int bytchk = (cdb[1] >>> 1) & 0x03;
        if (bytchk == 2) {
            throw ScsiException.cdb(1, 2);
        }
        long lba = lba(cdb);
        long blocks = blocks(cdb);
        checkTransfer(target, lu, cdb, lba, blocks);
        if (blocks == 0) {
            return BlockScsiTarget.GOOD;
        }
        if (bytchk != 0) {
            long neededBlocks = bytchk == 1 ? blocks : 1;
            if (blocksCarried(lu, request, neededBlocks) != neededBlocks) {
                throw ScsiException.of(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
            }
        }
        long lockMask = lu.rangeLock.lockShared(lba, blocks);
        try {
            compareWithMedium(target, lu, request, lba, blocks, bytchk != 0, bytchk == 3);
        } finally {
            lu.rangeLock.unlockShared(lockMask);
        }
        return BlockScsiTarget.GOOD;
    }

    /** Bytes read per step of a verify: bounds the scratch buffer whatever the range. */
    static final int VERIFY_CHUNK_BYTES = 256 * 1024;

    /**
     * Reads [lba, lba + blocks) in chunks; with {@code compare}, checks it against the data-out
     * (or, with {@code oneBlock}, against its first block repeated) and throws MISCOMPARE with the
     * byte offset of the first difference in INFORMATION (SBC-4 5.37, 5.3).
     */
    static void compareWithMedium(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request, long lba, long blocks,
                                  boolean compare, boolean oneBlock) {
        int chunkBlocks = Math.max(1, VERIFY_CHUNK_BYTES / lu.blockBytes);
        int scratchBytes = (int) Math.min(blocks, chunkBlocks) * lu.blockBytes;
        ByteBuf scratch = target.alloc.directBuffer(scratchBytes, scratchBytes);
        try {
            ByteBuf out = request.dataOut();
            for (long done = 0; done < blocks; ) {
                int n = (int) Math.min(blocks - done, chunkBlocks);
                int nBytes = n * lu.blockBytes;
                lu.read(lba + done, scratch.internalNioBuffer(0, nBytes));
                if (compare) {
                    long base = done * lu.blockBytes;
                    int mismatch = oneBlock ? mismatchEachBlock(scratch, nBytes, lu.blockBytes, out)
                            : mismatch(scratch, 0, out, out.readerIndex() + (int) base, nBytes);
                    if (mismatch >= 0) {
                        throw ScsiException.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, base + mismatch);
                    }
                }
                done += n;
            }
        } finally {
            scratch.release();
        }
    }

    /** Index of the first differing byte of a[aIndex..] and b[bIndex..] over lengthBytes, or -1. */
    static int mismatch(ByteBuf a, int aIndex, ByteBuf b, int bIndex, int lengthBytes) {
        return a.nioBuffer(aIndex, lengthBytes).mismatch(b.nioBuffer(bIndex, lengthBytes));
    }

    private static int mismatchEachBlock(ByteBuf read, int lengthBytes, int blockBytes, ByteBuf out) {
        for (int p = 0; p < lengthBytes; p += blockBytes) {
            int m = mismatch(read, p, out, out.readerIndex(), blockBytes);
            if (m >= 0) {
                return p + m;
            }
        }
        return -1;
    }

    /**
     * PRE-FETCH(10/16), SBC-4 5.11/5.12: the cache holds only written data, so nothing is loaded;
     * GOOD (not CONDITION MET) says exactly that. The range is still checked.
     */
    static ScsiResponse preFetch(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        lu.checkRange(lba(cdb), blocks(cdb));
        return BlockScsiTarget.GOOD;
    }

    /** SYNCHRONIZE CACHE(10/16), SBC-4 5.26: commits everything (the volume has no per-range flush). */
    static ScsiResponse synchronizeCache(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        long lba = lba(cdb);
        long blocks = blocks(cdb);
        // NUMBER OF LOGICAL BLOCKS 0 = through the last LBA; the LBA must still be in range.
        lu.checkRange(lba, blocks);
        boolean immediate = (cdb[1] & 0x02) != 0;
        if (immediate) {
            // IMMED = 1: status once the CDB is valid; the commit follows on the executor.
            if (lu.submit(() -> flushQuietly(lu))) {
                return BlockScsiTarget.GOOD;
            }
        }
        lu.flush();
        return BlockScsiTarget.GOOD;
    }

    /** SYNCHRONIZE CACHE on the caller's thread when the commit needs no wait; null declines. */
    static ScsiResponse trySynchronizeCache(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        lu.checkRange(lba(cdb), blocks(cdb));
        if ((cdb[1] & 0x02) != 0) {
            return null; // IMMED: the executor path answers first and commits after
        }
        return lu.tryFlush() ? BlockScsiTarget.GOOD : null;
    }

    private static void flushQuietly(LogicalUnit lu) {
        try {
            lu.flush();
        } catch (ScsiException e) {
            BlockScsiTarget.LOG.warn("lun {}: SYNCHRONIZE CACHE with IMMED failed after GOOD: {}", lu.lun(), e.getMessage());
        }
    }
}

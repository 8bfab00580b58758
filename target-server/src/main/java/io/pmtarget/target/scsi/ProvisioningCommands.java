package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/** UNMAP, WRITE SAME(10/16) and COMPARE AND WRITE (SBC-4 5.32, 5.48, 5.49, 5.3). */
final class ProvisioningCommands {

    static final int UNMAP_HEADER_BYTES = 8;
    static final int UNMAP_DESCRIPTOR_BYTES = 16;
    /** Pattern bytes written per volume call by WRITE SAME: bounds the scratch buffer. */
    static final int WRITE_SAME_CHUNK_BYTES = 256 * 1024;

    private ProvisioningCommands() {
    }

    /**
     * UNMAP (SBC-4 5.32). The whole parameter list is validated before anything is discarded, so a
     * bad descriptor leaves the medium untouched.
     */
    static ScsiResponse unmap(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int parameterListLength = Cdb.u16(cdb, 7);
        if (parameterListLength == 0) {
            return BlockScsiTarget.GOOD; // SBC-4 5.32.1: no data, not an error
        }
        lu.checkWritable();
        ByteBuf data = request.dataOut();
        int available = data == null ? 0 : Math.min(data.readableBytes(), parameterListLength);
        if (parameterListLength < UNMAP_HEADER_BYTES || available < UNMAP_HEADER_BYTES) {
            throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
        }
        int base = data.readerIndex();
        int unmapDataLength = data.getUnsignedShort(base);
        int descriptorDataLength = data.getUnsignedShort(base + 2);
        // SBC-4 5.32.2: the lengths count the bytes that follow them; they must fit the list sent.
        if (unmapDataLength + 2 > available || unmapDataLength < 6 && unmapDataLength != 0) {
            throw ScsiException.param(0, ScsiException.NONE);
        }
        if (descriptorDataLength + UNMAP_HEADER_BYTES > available) {
            throw ScsiException.param(2, ScsiException.NONE);
        }
        // A trailing partial descriptor is ignored (SBC-4 5.32.2).
        int descriptors = descriptorDataLength / UNMAP_DESCRIPTOR_BYTES;
        if (descriptors > InquiryCommands.MAX_UNMAP_DESCRIPTORS) {
            throw ScsiException.param(2, ScsiException.NONE);
        }
        long totalBlocks = 0;
        for (int i = 0; i < descriptors; i++) {
            int p = base + UNMAP_HEADER_BYTES + i * UNMAP_DESCRIPTOR_BYTES;
            long lba = data.getLong(p);
            long blocks = data.getUnsignedInt(p + 8);
            lu.checkRange(lba, blocks);
            totalBlocks += blocks;
            if (blocks > InquiryCommands.MAX_UNMAP_LBA_COUNT || totalBlocks > InquiryCommands.MAX_UNMAP_LBA_COUNT) {
                throw ScsiException.param(UNMAP_HEADER_BYTES + i * UNMAP_DESCRIPTOR_BYTES + 8, ScsiException.NONE);
            }
        }
        for (int i = 0; i < descriptors; i++) {
            int p = base + UNMAP_HEADER_BYTES + i * UNMAP_DESCRIPTOR_BYTES;
            discard(lu, data.getLong(p), data.getUnsignedInt(p + 8));
        }
        return BlockScsiTarget.GOOD;
    }

    private static void discard(LogicalUnit lu, long lba, long blocks) {
        if (blocks == 0) {
            return;
        }
        long lockMask = lu.rangeLock.lockShared(lba, blocks);
        try {
            lu.discard(lba, blocks);
        } finally {
            lu.rangeLock.unlockShared(lockMask);
        }
    }

    /**
     * WRITE SAME(10/16) (SBC-4 5.48, 5.49). With UNMAP we discard only when a later read is sure to
     * return the same block (LBPRZ and an all-zero pattern); otherwise we write the pattern, which is
     * always a correct outcome of WRITE SAME with UNMAP (SBC-4 4.7.3.4). NDOB = no data-out, zeros.
     */
    static ScsiResponse writeSame(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        boolean unmap = (cdb[1] & 0x08) != 0;
        boolean ndob = (cdb[0] & 0xFF) == 0x93 && (cdb[1] & 0x01) != 0;
        long lba = BlockCommands.lba(cdb);
        long blocks = BlockCommands.blocks(cdb);
        if (blocks == 0) {
            throw ScsiException.cdb(BlockCommands.blocksField(cdb), ScsiException.NONE); // WSNZ = 1
        }
        lu.checkRange(lba, blocks);
        if (blocks > InquiryCommands.MAX_WRITE_SAME_BLOCKS) {
            throw ScsiException.cdb(BlockCommands.blocksField(cdb), ScsiException.NONE);
        }
        lu.checkWritable();
        ByteBuf pattern = request.dataOut();
        if (!ndob && (pattern == null || pattern.readableBytes() < lu.blockBytes)) {
            throw ScsiException.of(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
        }
        boolean zeros = ndob || isZero(pattern, lu.blockBytes);
        if (unmap && zeros && lu.config.discardReadsZeros()) {
            discard(lu, lba, blocks);
            return BlockScsiTarget.GOOD;
        }
        writeRepeated(target, lu, lba, blocks, ndob ? null : pattern);
        return BlockScsiTarget.GOOD;
    }

    private static boolean isZero(ByteBuf buf, int lengthBytes) {
        int base = buf.readerIndex();
        for (int i = 0; i < lengthBytes; i += 8) {
            if (buf.getLong(base + i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes {@code pattern} (null = zeros) to every block, a bounded chunk at a time. */
    private static void writeRepeated(BlockScsiTarget target, LogicalUnit lu, long lba, long blocks, ByteBuf pattern) {
        int chunkBlocks = (int) Math.min(blocks, Math.max(1, WRITE_SAME_CHUNK_BYTES / lu.blockBytes));
        int chunkBytes = chunkBlocks * lu.blockBytes;
        ByteBuf chunk = target.alloc.directBuffer(chunkBytes, chunkBytes);
        long lockMask = lu.rangeLock.lockShared(lba, blocks);
        try {
            if (pattern == null) {
                chunk.writeZero(chunkBytes);
            } else {
                for (int i = 0; i < chunkBlocks; i++) {
                    chunk.writeBytes(pattern, pattern.readerIndex(), lu.blockBytes);
                }
            }
            boolean fua = lu.fua(false);
            for (long done = 0; done < blocks; ) {
                int n = (int) Math.min(blocks - done, chunkBlocks);
                lu.write(lba + done, chunk.nioBuffer(0, n * lu.blockBytes), fua);
                done += n;
            }
        } finally {
            lu.rangeLock.unlockShared(lockMask);
            chunk.release();
        }
    }

    /**
     * COMPARE AND WRITE (SBC-4 5.3): data-out is N blocks to verify then N blocks to write. The range
     * is held exclusively across read, compare and write, so no other command to those LBAs (all
     * of which take the range shared) can interleave.
     */
    static ScsiResponse compareAndWrite(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        long lba = Cdb.u64(cdb, 2);
        int blocks = Cdb.u8(cdb, 13);
        lu.checkRange(lba, blocks);
        if (blocks > VpdPages.maxCompareAndWriteBlocks(target, lu)) {
            throw ScsiException.cdb(13, ScsiException.NONE);
        }
        if (blocks == 0) {
            return BlockScsiTarget.GOOD; // SBC-4 5.3: zero blocks is not an error
        }
        lu.checkWritable();
        int halfBytes = blocks * lu.blockBytes;
        ByteBuf data = request.dataOut();
        if (data == null || data.readableBytes() < 2 * halfBytes) {
            throw ScsiException.of(SenseCode.INVALID_FIELD_IN_INFORMATION_UNIT);
        }
        boolean fua = lu.fua((cdb[1] & 0x08) != 0);
        ByteBuf current = target.alloc.directBuffer(halfBytes, halfBytes);
        long lockMask = lu.rangeLock.lockExclusive(lba, blocks);
        try {
            lu.read(lba, current.internalNioBuffer(0, halfBytes));
            current.writerIndex(halfBytes);
            int mismatch = BlockCommands.mismatch(current, 0, data, data.readerIndex(), halfBytes);
            if (mismatch >= 0) {
                // SBC-4 5.3: INFORMATION = offset of the first differing byte in the data-out buffer.
                throw ScsiException.withInformation(SenseCode.MISCOMPARE_DURING_VERIFY, mismatch);
            }
            lu.write(lba, BlockCommands.dataOut(request, halfBytes, halfBytes), fua);
        } finally {
            lu.rangeLock.unlockExclusive(lockMask);
            current.release();
        }
        return BlockScsiTarget.GOOD;
    }
}

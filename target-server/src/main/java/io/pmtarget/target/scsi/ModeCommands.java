package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/**
 * MODE SENSE(6/10) and MODE SELECT(6/10) (SPC-5 6.11..6.14) with the Read-Write Error Recovery
 * (0x01, SBC-4 6.5.9), Caching (0x08, SBC-4 6.5.5) and Control (0x0A, SPC-5 7.5.10) pages. Only
 * WCE is changeable; nothing can be saved.
 */
final class ModeCommands {

    static final int PAGE_ERROR_RECOVERY = 0x01;
    static final int PAGE_CACHING = 0x08;
    static final int PAGE_CONTROL = 0x0A;
    static final int PAGE_ALL = 0x3F;
    static final int[] PAGES = {PAGE_ERROR_RECOVERY, PAGE_CACHING, PAGE_CONTROL};
    static final int PC_CURRENT = 0;
    static final int PC_CHANGEABLE = 1;
    static final int PC_DEFAULT = 2;
    static final int PC_SAVED = 3;
    static final int WCE_BIT = 0x04;
    /** Device-specific parameter (SBC-4 6.5.1): WP and DPOFUA (we honour DPO and FUA). */
    static final int DSP_WP = 0x80;
    static final int DSP_DPOFUA = 0x10;

    private ModeCommands() {
    }

    /** One mode page (header included) for a page control value, or null if we have no such page. */
    static byte[] page(LogicalUnit lu, int pageCode, int pageControl) {
        boolean changeable = pageControl == PC_CHANGEABLE;
        switch (pageCode) {
            case PAGE_ERROR_RECOVERY: {
                byte[] p = new byte[12];
                p[0] = PAGE_ERROR_RECOVERY;
                p[1] = 0x0A;
                return p; // no retries to tune: every field 0 and unchangeable
            }
            case PAGE_CACHING: {
                byte[] p = new byte[20];
                p[0] = PAGE_CACHING;
                p[1] = 0x12;
                boolean wce = pageControl == PC_DEFAULT || changeable || lu.writeCacheEnabled;
                p[2] = (byte) (wce ? WCE_BIT : 0);
                return p;
            }
            case PAGE_CONTROL: {
                byte[] p = new byte[12];
                p[0] = PAGE_CONTROL;
                p[1] = 0x0A;
                // QUEUE ALGORITHM MODIFIER 1: commands may be reordered (they run on a thread pool).
                p[3] = (byte) (changeable ? 0 : 0x10);
                if (!changeable) {
                    Cdb.putShort(p, 8, 0xFFFF); // BUSY TIMEOUT PERIOD: unlimited (we never answer BUSY)
                }
                return p;
            }
            default:
                return null;
        }
    }

    static ScsiResponse modeSense6(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return modeSense(target, lu, request.cdb(), false);
    }

    static ScsiResponse modeSense10(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return modeSense(target, lu, request.cdb(), true);
    }

    private static ScsiResponse modeSense(BlockScsiTarget target, LogicalUnit lu, byte[] cdb, boolean ten) {
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pageControl = (cdb[2] >>> 6) & 0x03;
        int pageCode = cdb[2] & 0x3F;
        int subpage = cdb[3] & 0xFF;
        long allocationLength = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);
        if (pageControl == PC_SAVED) {
            throw ScsiException.of(SenseCode.SAVING_PARAMETERS_NOT_SUPPORTED);
        }
        if (subpage != 0 && subpage != 0xFF) {
            throw ScsiException.cdb(3, 7); // we have no subpages
        }
        byte[][] pages;
        if (pageCode == PAGE_ALL) {
            pages = new byte[PAGES.length][];
            for (int i = 0; i < PAGES.length; i++) {
                pages[i] = page(lu, PAGES[i], pageControl);
            }
        } else {
            byte[] p = page(lu, pageCode, pageControl);
            if (p == null) {
                throw ScsiException.cdb(2, 5);
            }
            pages = new byte[][] {p};
        }
        int headerBytes = ten ? 8 : 4;
        int descriptorBytes = dbd ? 0 : llbaa ? 16 : 8;
        int total = headerBytes + descriptorBytes;
        for (byte[] p : pages) {
            total += p.length;
        }
        byte[] out = new byte[total];
        int dsp = (lu.volume.readOnly() ? DSP_WP : 0) | DSP_DPOFUA;
        if (ten) {
            Cdb.putShort(out, 0, total - 2);
            out[3] = (byte) dsp;
            out[4] = (byte) (llbaa ? 0x01 : 0); // LONGLBA
            Cdb.putShort(out, 6, descriptorBytes);
        } else {
            out[0] = (byte) (total - 1);
            out[2] = (byte) dsp;
            out[3] = (byte) descriptorBytes;
        }
        if (descriptorBytes == 8) {
            // Short LBA block descriptor (SBC-4 6.5.2.2): 0xFFFFFFFF when the capacity does not fit.
            Cdb.putInt(out, headerBytes, lu.capacityBlocks > 0xFFFFFFFFL ? -1 : (int) lu.capacityBlocks);
            Cdb.putInt(out, headerBytes + 4, lu.blockBytes); // byte 4 reserved, 5..7 block length
        } else if (descriptorBytes == 16) {
            Cdb.putLong(out, headerBytes, lu.capacityBlocks);
            Cdb.putInt(out, headerBytes + 12, lu.blockBytes);
        }
        int p = headerBytes + descriptorBytes;
        for (byte[] page : pages) {
            System.arraycopy(page, 0, out, p, page.length);
            p += page.length;
        }
        return target.dataIn(out, out.length, allocationLength);
    }

    static ScsiResponse modeSelect6(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return modeSelect(lu, request, false);
    }

    static ScsiResponse modeSelect10(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return modeSelect(lu, request, true);
    }

    /** Validates the whole parameter list first, then applies it (SPC-5 6.11: all or nothing). */
    private static ScsiResponse modeSelect(LogicalUnit lu, ScsiRequest request, boolean ten) {
        byte[] cdb = request.cdb();
        boolean pf = (cdb[1] & 0x10) != 0;
        if ((cdb[1] & 0x01) != 0) {
            throw ScsiException.cdb(1, 0); // SP: no saved pages
        }
        int listLength = ten ? Cdb.u16(cdb, 7) : Cdb.u8(cdb, 4);
        if (listLength == 0) {
            return BlockScsiTarget.GOOD;
        }
        ByteBuf data = request.dataOut();
        int headerBytes = ten ? 8 : 4;
        if (data == null || data.readableBytes() < listLength || listLength < headerBytes) {
            throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
        }
        byte[] b = new byte[listLength];
        data.getBytes(data.readerIndex(), b);
        int descriptorBytes = checkHeader(lu, b, ten, headerBytes, listLength);
        int p = headerBytes + descriptorBytes;
        if (p < listLength && !pf) {
            throw ScsiException.cdb(1, 4); // PF = 0: vendor-specific page format, which we have none of
        }
        boolean wce = lu.writeCacheEnabled;
        while (p < listLength) {
            if (p + 2 > listLength) {
                throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
            }
            if ((b[p] & 0x40) != 0) {
                throw ScsiException.param(p, 6); // SPF: no subpages
            }
            int code = b[p] & 0x3F;
            byte[] current = page(lu, code, PC_CURRENT);
            if (current == null) {
                throw ScsiException.param(p, 5);
            }
            if ((b[p + 1] & 0xFF) != current.length - 2) {
                throw ScsiException.param(p + 1, ScsiException.NONE);
            }
            if (p + current.length > listLength) {
                throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
            }
            byte[] changeable = page(lu, code, PC_CHANGEABLE);
            for (int i = 2; i < current.length; i++) {
                int bad = (b[p + i] ^ current[i]) & ~changeable[i] & 0xFF;
                if (bad != 0) {
                    throw ScsiException.param(p + i, 31 - Integer.numberOfLeadingZeros(bad));
                }
            }
            if (code == PAGE_CACHING) {
                wce = (b[p + 2] & WCE_BIT) != 0;
            }
            p += current.length;
        }
        if (wce != lu.writeCacheEnabled) {
            if (wce == false) {
                lu.flush(); // data cached under WCE = 1 must not stay volatile once WCE = 0 is reported
            }
            lu.writeCacheEnabled = wce;
            // SPC-5 5.14: other I_T nexuses learn that mode parameters changed.
            lu.raiseUnitAttention(SenseCode.MODE_PARAMETERS_CHANGED, request.nexus());
        }
        return BlockScsiTarget.GOOD;
    }

    /** Mode parameter header and block descriptor checks; returns the block descriptor length. */
    private static int checkHeader(LogicalUnit lu, byte[] b, boolean ten, int headerBytes, int listLength) {
        int mediumTypeIndex = ten ? 2 : 1;
        if (b[mediumTypeIndex] != 0) {
            throw ScsiException.param(mediumTypeIndex, ScsiException.NONE);
        }
        boolean longLba = ten && (b[4] & 0x01) != 0;
        int descriptorLengthIndex = ten ? 6 : 3;
        int descriptorBytes = ten ? Cdb.u16(b, 6) : Cdb.u8(b, 3);
        int expected = longLba ? 16 : 8;
        if (descriptorBytes != 0 && descriptorBytes != expected) {
            throw ScsiException.param(descriptorLengthIndex, ScsiException.NONE);
        }
        if (headerBytes + descriptorBytes > listLength) {
            throw ScsiException.of(SenseCode.PARAMETER_LIST_LENGTH_ERROR);
        }
        if (descriptorBytes == 0) {
            return 0;
        }
        int d = headerBytes;
        long blocks = longLba ? Cdb.u64(b, d) : Cdb.u32(b, d);
        long reported = longLba ? lu.capacityBlocks : Math.min(lu.capacityBlocks, 0xFFFFFFFFL);
        if (blocks != 0 && blocks != reported) {
            throw ScsiException.param(d, ScsiException.NONE); // no resizing through MODE SELECT
        }
        long blockLength = longLba ? Cdb.u32(b, d + 12) : Cdb.u24(b, d + 5);
        if (blockLength != lu.blockBytes) {
            throw ScsiException.param(longLba ? d + 12 : d + 5, ScsiException.NONE); // no reformatting
        }
        return descriptorBytes;
    }
}

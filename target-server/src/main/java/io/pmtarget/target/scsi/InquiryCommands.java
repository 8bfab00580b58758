package io.pmtarget.target.scsi;

import java.nio.charset.StandardCharsets;

/** INQUIRY and its VPD pages, REPORT LUNS, REQUEST SENSE, TEST UNIT READY and the no-op commands. */
final class InquiryCommands {

    /** Peripheral device type 00h: direct access block device (SBC-4). */
    static final int DEVICE_TYPE_DISK = 0x00;
    /** Peripheral qualifier 011b, device type 1Fh: no LU at this LUN (SPC-5 6.7.2). */
    static final int PERIPHERAL_NO_LU = 0x7F;
    static final int STANDARD_INQUIRY_BYTES = 96;
    /**
     * VERSION 06h = SPC-4. We implement SPC-5 commands, but initiators and conformance suites
     * (libiscsi 1.19 accepts only 04h..06h) know SPC-4 at most; Linux LIO claims 06h as well.
     */
    static final int SPC_VERSION = 0x06;
    /**
     * Version descriptors (SPC-5 table 149), all "no version claimed": SAM-5, SPC-5, SPC-4, SBC-4,
     * SBC-3, iSCSI. SPC-4 and SBC-3 are listed too because what we implement satisfies them and
     * initiators key on them (libiscsi's iscsi-test-cu enables its SBC-3 tests only on 04C0h).
     */
    private static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x05C0, 0x0460, 0x0600, 0x04C0, 0x0960};
    static final int[] SUPPORTED_VPD_PAGES = {0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2};
    /** B0 limits (in logical blocks unless named otherwise). */
    /** libiscsi test_inquiry_block_limits calls anything above 1M blocks (other than "no limit") insane. */
    static final long MAX_UNMAP_LBA_COUNT = 1L << 20;
    static final int MAX_UNMAP_DESCRIPTORS = 256;
    static final long MAX_WRITE_SAME_BLOCKS = 1L << 16;
    static final int MAX_COMPARE_AND_WRITE_BLOCKS = 255;

    private InquiryCommands() {
    }

    static ScsiResponse testUnitReady(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return BlockScsiTarget.GOOD;
    }

    /** SBC-4 5.25: accepted; there is no medium to stop or eject, power conditions are not modelled. */
    static ScsiResponse startStopUnit(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        return BlockScsiTarget.GOOD;
    }

    /** SBC-4 5.14 on a non-removable LU: only PREVENT = 00b (allow) is meaningful. */
    static ScsiResponse preventAllow(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        if ((request.cdb()[4] & 0x03) != 0) {
            throw ScsiException.cdb(4, 1);
        }
        return BlockScsiTarget.GOOD;
    }

    /** SPC-5 6.39: the pending unit attention of this nexus (clearing it), else NO SENSE. */
    static ScsiResponse requestSense(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        SenseCode ua = lu.pollUnitAttention(request.nexus());
        byte[] sense = Sense.of(ua == null ? SenseCode.NO_SENSE : ua);
        return target.dataIn(sense, sense.length, Cdb.u8(request.cdb(), 4));
    }

    /** REPORT LUNS (SPC-5 6.33), answered at any LUN, even one that does not exist. */
    static ScsiResponse reportLuns(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        int selectReport = cdb[2] & 0xFF;
        long allocationLength = Cdb.u32(cdb, 6);
        long[] numbers;
        switch (selectReport) {
            case 0x00: // all LUNs but well-known ones (we have none)
            case 0x02: // all LUNs
                numbers = target.lunNumbers();
                break;
            case 0x01: // well-known LUNs only
                numbers = new long[0];
                break;
            default:
                throw ScsiException.cdb(2, 7);
        }
        byte[] out = new byte[8 + 8 * numbers.length];
        Cdb.putInt(out, 0, 8 * numbers.length);
        for (int i = 0; i < numbers.length; i++) {
            long n = numbers[i];
            int p = 8 + 8 * i;
            if (n < 256) {
                out[p + 1] = (byte) n; // peripheral device addressing, bus 0 (SAM-5 4.7.5)
            } else {
                out[p] = (byte) (0x40 | (n >>> 8)); // flat space addressing (SAM-5 4.7.6)
                out[p + 1] = (byte) n;
            }
        }
        return target.dataIn(out, out.length, allocationLength);
    }

    /** INQUIRY (SPC-5 6.7); {@code lu} is null for a LUN that does not exist. */
    static ScsiResponse inquiry(BlockScsiTarget target, LogicalUnit lu, ScsiRequest request) {
        byte[] cdb = request.cdb();
        boolean evpd = (cdb[1] & 0x01) != 0;
        int pageCode = cdb[2] & 0xFF;
        int allocationLength = Cdb.u16(cdb, 3);
        if (!evpd) {
            if (pageCode != 0) {
                throw ScsiException.cdb(2, 7);
            }
            byte[] data = standard(lu);
            return target.dataIn(data, data.length, allocationLength);
        }
        if (lu == null) {
            throw ScsiException.of(SenseCode.LU_NOT_SUPPORTED);
        }
        byte[] page;
        switch (pageCode) {
            case 0x00:
                page = supportedPages();
                break;
            case 0x80:
                page = serialNumberPage(lu);
                break;
            case 0x83:
                page = VpdPages.deviceIdentification(lu, request.nexus());
                break;
            case 0xB0:
                page = VpdPages.blockLimits(target, lu);
                break;
            case 0xB1:
                page = VpdPages.blockDeviceCharacteristics();
                break;
            case 0xB2:
                page = VpdPages.logicalBlockProvisioning(lu);
                break;
            default:
                throw ScsiException.cdb(2, 7);
        }
        return target.dataIn(page, page.length, allocationLength);
    }

    /** Standard INQUIRY data (SPC-5 6.7.2), 96 bytes. */
    static byte[] standard(LogicalUnit lu) {
        byte[] d = new byte[STANDARD_INQUIRY_BYTES];
        d[0] = (byte) (lu == null ? PERIPHERAL_NO_LU : DEVICE_TYPE_DISK);
        d[1] = 0;          // RMB = 0: not removable
        d[2] = SPC_VERSION;
        d[3] = 0x12;       // HISUP = 1 (hierarchical LUNs), RESPONSE DATA FORMAT = 2
        d[4] = (byte) (STANDARD_INQUIRY_BYTES - 5);
        d[7] = 0x02;       // CMDQUE = 1: full task management model
        ascii(d, 8, 8, BlockScsiTarget.VENDOR);
        ascii(d, 16, 16, lu == null ? "" : lu.config.productId());
        ascii(d, 32, 4, lu == null ? "" : lu.config.revision());
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Cdb.putShort(d, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return d;
    }

    private static byte[] supportedPages() {
        byte[] p = new byte[4 + SUPPORTED_VPD_PAGES.length];
        p[1] = 0x00;
        Cdb.putShort(p, 2, SUPPORTED_VPD_PAGES.length);
        for (int i = 0; i < SUPPORTED_VPD_PAGES.length; i++) {
            p[4 + i] = (byte) SUPPORTED_VPD_PAGES[i];
        }
        return p;
    }

    private static byte[] serialNumberPage(LogicalUnit lu) {
        byte[] serial = lu.config.serialNumber().getBytes(StandardCharsets.US_ASCII);
        byte[] p = new byte[4 + serial.length];
        p[1] = (byte) 0x80;
        Cdb.putShort(p, 2, serial.length);
        System.arraycopy(serial, 0, p, 4, serial.length);
        return p;
    }

    /** Left-aligned ASCII padded with spaces (SPC-5 4.3.2). */
    static void ascii(byte[] dst, int offset, int width, String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        assert b.length <= width : text;
        for (int i = 0; i < width; i++) {
            dst[offset + i] = i < b.length ? b[i] : (byte) ' ';
        }
    }
}

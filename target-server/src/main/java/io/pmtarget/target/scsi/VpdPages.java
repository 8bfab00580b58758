package io.pmtarget.target.scsi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** VPD pages 0x83 (SPC-5 7.7.6), 0xB0, 0xB1, 0xB2 (SBC-4 6.6). */
final class VpdPages {

    static final int B0_PAGE_LENGTH = 0x3C;
    static final int B1_PAGE_LENGTH = 0x3C;
    static final int B2_PAGE_LENGTH = 0x04;

    private VpdPages() {
    }

    /**
     * Device identification: NAA (LU), T10 vendor id (LU), relative target port, target port group
     * and SCSI name string of the target port (iSCSI: {@code name,t,0xTPGT}, RFC 7143 13.14).
     */
    static byte[] deviceIdentification(LogicalUnit lu, ItNexus nexus) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        out.write(0);
        out.write(0x83);
        out.write(0);
        out.write(0); // page length, patched below
        // Code set 1 (binary), association 00b (LU), designator type 3 (NAA).
        descriptor(out, 0x01, 0x03, lu.naaId);
        // Code set 2 (ASCII), LU, type 1 (T10 vendor id): vendor + product + serial.
        byte[] t10 = new byte[8 + 16 + lu.config.serialNumber().length()];
        InquiryCommands.ascii(t10, 0, 8, BlockScsiTarget.VENDOR);
        InquiryCommands.ascii(t10, 8, 16, lu.config.productId());
        InquiryCommands.ascii(t10, 24, t10.length - 24, lu.config.serialNumber());
        descriptor(out, 0x02, 0x01, t10);
        int tpgt = nexus == null ? 1 : Math.max(1, nexus.targetPortalGroupTag() & 0xFFFF);
        byte[] port = {0, 0, (byte) (tpgt >>> 8), (byte) tpgt};
        // PIV = 1, association 01b (target port): type 4 relative target port, type 5 target port group.
        descriptor(out, 0x81, 0x94, port);
        descriptor(out, 0x81, 0x95, port);
        // Code set 3 (UTF-8), PIV, target port, type 8: SCSI name string, NUL-terminated, padded to 4.
        String portName = lu.targetName + ",t,0x" + String.format("%04x", tpgt);
        byte[] utf8 = portName.getBytes(StandardCharsets.UTF_8);
        int padded = Math.min(252, (utf8.length + 1 + 3) & ~3);
        byte[] name = new byte[padded];
        System.arraycopy(utf8, 0, name, 0, Math.min(utf8.length, padded - 1));
        descriptor(out, 0x83, 0x98, name);
        byte[] page = out.toByteArray();
        Cdb.putShort(page, 2, page.length - 4);
        return page;
    }

    private static void descriptor(ByteArrayOutputStream out, int protocolAndCodeSet, int pivAssocType, byte[] id) {
        assert id.length <= 255 : id.length;
        // PROTOCOL IDENTIFIER 5h (iSCSI) is only meaningful with PIV = 1 (SPC-5 7.7.6.1).
        int proto = (pivAssocType & 0x80) != 0 ? 0x50 : 0x00;
        out.write(proto | (protocolAndCodeSet & 0x0F));
        out.write(pivAssocType);
        out.write(0);
        out.write(id.length);
        out.write(id, 0, id.length);
    }

    /** Block limits (SBC-4 6.6.4). */
    static byte[] blockLimits(BlockScsiTarget target, LogicalUnit lu) {
        byte[] p = new byte[4 + B0_PAGE_LENGTH];
        p[1] = (byte) 0xB0;
        Cdb.putShort(p, 2, B0_PAGE_LENGTH);
        p[4] = 0x01; // WSNZ: WRITE SAME with NUMBER OF LOGICAL BLOCKS 0 is rejected
        p[5] = (byte) maxCompareAndWriteBlocks(target, lu);
        // A LUN block is whole volume blocks (LunConfig), so any aligned LUN block is optimal.
        int granularityBlocks = 1;
        Cdb.putShort(p, 6, granularityBlocks);
        long maxTransferBlocks = maxTransferBlocks(target, lu);
        Cdb.putInt(p, 8, (int) maxTransferBlocks);
        Cdb.putInt(p, 12, (int) maxTransferBlocks); // OPTIMAL TRANSFER LENGTH
        Cdb.putInt(p, 20, (int) InquiryCommands.MAX_UNMAP_LBA_COUNT);
        Cdb.putInt(p, 24, InquiryCommands.MAX_UNMAP_DESCRIPTORS);
        Cdb.putInt(p, 28, granularityBlocks); // OPTIMAL UNMAP GRANULARITY
        p[32] = (byte) 0x80; // UGAVALID, UNMAP GRANULARITY ALIGNMENT 0
        Cdb.putLong(p, 36, InquiryCommands.MAX_WRITE_SAME_BLOCKS);
        return p;
    }

    static long maxTransferBlocks(BlockScsiTarget target, LogicalUnit lu) {
        return target.maxDataOutBytes / lu.blockBytes;
    }

    /** COMPARE AND WRITE carries 2 x blocks of data-out, which must fit the transfer limit. */
    static int maxCompareAndWriteBlocks(BlockScsiTarget target, LogicalUnit lu) {
        return (int) Math.min(InquiryCommands.MAX_COMPARE_AND_WRITE_BLOCKS, maxTransferBlocks(target, lu) / 2);
    }

    /** Block device characteristics (SBC-4 6.6.2): MEDIUM ROTATION RATE 0001h = non-rotating. */
    static byte[] blockDeviceCharacteristics() {
        byte[] p = new byte[4 + B1_PAGE_LENGTH];
        p[1] = (byte) 0xB1;
        Cdb.putShort(p, 2, B1_PAGE_LENGTH);
        Cdb.putShort(p, 4, 0x0001);
        return p;
    }

    /** Logical block provisioning (SBC-4 6.6.6): UNMAP, WRITE SAME(16)/(10) with UNMAP, thin. */
    static byte[] logicalBlockProvisioning(LogicalUnit lu) {
        byte[] p = new byte[4 + B2_PAGE_LENGTH];
        p[1] = (byte) 0xB2;
        Cdb.putShort(p, 2, B2_PAGE_LENGTH);
        int lbprz = lu.config.discardReadsZeros() ? 0x04 : 0; // LBPRZ field 001b in bits 4..2
        p[5] = (byte) (0x80 | 0x40 | 0x20 | lbprz);          // LBPU, LBPWS, LBPWS10
        p[6] = 0x02;                                          // PROVISIONING TYPE 010b: thin
        return p;
    }
}

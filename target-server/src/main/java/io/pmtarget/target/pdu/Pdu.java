package io.pmtarget.target.pdu;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;

/**
 * One iSCSI PDU (RFC 7143 section 11): the 48-byte Basic Header Segment as a heap array with typed
 * accessors, the Additional Header Segments, and the data segment (without padding or digests,
 * which live only on the wire).
 *
 * <pre>
 *  byte  0      1      2      3
 *     0 |.I|op | flags| opcode-specific     |
 *     4 |TotAHS| DataSegmentLength (24 bit) |
 *     8 | LUN or opcode-specific (8 bytes)  |
 *    16 | Initiator Task Tag                |
 *    20 | opcode-specific fields ... 47     |
 * </pre>
 *
 * <p>Ownership: the PDU owns its data buffer; {@link #release()} releases it. The accessors named
 * after a field exist once per offset meaning; which opcodes carry which field is noted on each
 * (section numbers of RFC 7143). Sequence numbers and tags are raw 32-bit values (serial number
 * arithmetic is the caller's business, see {@link SerialNumbers}).
 */
public final class Pdu implements ReferenceCounted {
    public static final int BHS_LENGTH_BYTES = 48;
    /** The reserved tag value (RFC 7143 section 11.1): "no task" / "no transfer". */
    public static final int RESERVED_TAG = 0xffffffff;
    /** Largest value the 24-bit DataSegmentLength field can carry. */
    public static final int DATA_SEGMENT_LENGTH_FIELD_MAX = 0xffffff;

    private static final byte[] NO_AHS = new byte[0];

    private final byte[] bhs;
    private byte[] ahs = NO_AHS;
    private ByteBuf data = Unpooled.EMPTY_BUFFER;

    private Pdu(byte[] bhs) {
        assert bhs.length == BHS_LENGTH_BYTES : bhs.length;
        this.bhs = bhs;
    }

    /** A new PDU with a zeroed header and this opcode (F bit and tags are the caller's). */
    public static Pdu create(Opcode opcode) {
        Pdu pdu = new Pdu(new byte[BHS_LENGTH_BYTES]);
        pdu.bhs[0] = (byte) opcode.code;
        return pdu;
    }

    /** Wraps a received header (the array is owned by the PDU from now on). */
    public static Pdu wrap(byte[] bhs, byte[] ahs, ByteBuf data) {
        if (bhs.length != BHS_LENGTH_BYTES) {
            throw new IllegalArgumentException("BHS must be 48 bytes, got " + bhs.length);
        }
        Pdu pdu = new Pdu(bhs);
        pdu.ahs = ahs;
        pdu.data = data;
        assert pdu.dataSegmentLengthBytes() == data.readableBytes()
                : "DataSegmentLength " + pdu.dataSegmentLengthBytes() + " != " + data.readableBytes();
        assert pdu.totalAhsLengthBytes() == ahs.length;
        return pdu;
    }

    // ---- raw access -------------------------------------------------------------------------

    /** A copy of the 48-byte header (for the data segment of a Reject, RFC 7143 section 11.17). */
    public byte[] bhsCopy() {
        return bhs.clone();
    }

    /** The header bytes themselves (no copy): for the encoder and for digests. */
    byte[] bhsArray() {
        return bhs;
    }

    public int int32(int offset) {
        return ((bhs[offset] & 0xff) << 24) | ((bhs[offset + 1] & 0xff) << 16)
                | ((bhs[offset + 2] & 0xff) << 8) | (bhs[offset + 3] & 0xff);
    }

    public Pdu int32(int offset, int value) {
        bhs[offset] = (byte) (value >>> 24);
        bhs[offset + 1] = (byte) (value >>> 16);
        bhs[offset + 2] = (byte) (value >>> 8);
        bhs[offset + 3] = (byte) value;
        return this;
    }

    public int uint16(int offset) {
        return ((bhs[offset] & 0xff) << 8) | (bhs[offset + 1] & 0xff);
    }

    public Pdu uint16(int offset, int value) {
        assert value >= 0 && value <= 0xffff : value;
        bhs[offset] = (byte) (value >>> 8);
        bhs[offset + 1] = (byte) value;
        return this;
    }

    public int uint8(int offset) {
        return bhs[offset] & 0xff;
    }

    public Pdu uint8(int offset, int value) {
        assert value >= 0 && value <= 0xff : value;
        bhs[offset] = (byte) value;
        return this;
    }

    private long int64(int offset) {
        return ((long) int32(offset) << 32) | (int32(offset + 4) & 0xffff_ffffL);
    }

    private Pdu int64(int offset, long value) {
        int32(offset, (int) (value >>> 32));
        return int32(offset + 4, (int) value);
    }

    private boolean bit(int offset, int mask) {
        return (bhs[offset] & mask) != 0;
    }

    private Pdu bit(int offset, int mask, boolean on) {
        bhs[offset] = (byte) (on ? (bhs[offset] | mask) : (bhs[offset] & ~mask));
        return this;
    }

    // ---- every opcode (section 11.2.1) ------------------------------------------------------

    /** The opcode, or null for an undefined value (see {@link #opcodeCode()}). */
    public Opcode opcode() {
        return Opcode.fromCode(opcodeCode());
    }

    public int opcodeCode() {
        return bhs[0] & 0x3f;
    }

    /** I bit: immediate delivery (requests only). */
    public boolean immediate() {
        return bit(0, 0x40);
    }

    public Pdu immediate(boolean on) {
        return bit(0, 0x40, on);
    }

    /** F bit (byte 1 bit 7): final PDU of a sequence; the T (transit) bit on Login PDUs. */
    public boolean finalFlag() {
        return bit(1, 0x80);
    }

    public Pdu finalFlag(boolean on) {
        return bit(1, 0x80, on);
    }

    /** The whole flags byte (byte 1). */
    public int flags() {
        return uint8(1);
    }

    public int totalAhsLengthBytes() {
        return uint8(4) * 4;
    }

    public int dataSegmentLengthBytes() {
        return (uint8(5) << 16) | uint16(6);
    }

    /** LUN field (bytes 8..15) of SCSI Command/Response-less PDUs that carry one. */
    public long lunField() {
        return int64(8);
    }

    public Pdu lunField(long value) {
        return int64(8, value);
    }

    /** Initiator Task Tag (bytes 16..19). */
    public int itt() {
        return int32(16);
    }

    public Pdu itt(int value) {
        return int32(16, value);
    }

    // ---- offset 20 ----------------------------------------------------------------------------

    /** SCSI Command: Expected Data Transfer Length (11.3.4). */
    public int expectedDataTransferLength() {
        return int32(20);
    }

    public Pdu expectedDataTransferLength(int bytes) {
        return int32(20, bytes);
    }

    /** Target Transfer Tag: NOP-Out/In, Data-Out/In, R2T, Text, SNACK (offset 20). */
    public int ttt() {
        return int32(20);
    }

    public Pdu ttt(int value) {
        return int32(20, value);
    }

    /** Task Management Request: Referenced Task Tag (11.5.3). */
    public int referencedTaskTag() {
        return int32(20);
    }

    public Pdu referencedTaskTag(int value) {
        return int32(20, value);
    }

    /** SCSI Response: SNACK Tag (11.4.5). */
    public int snackTag() {
        return int32(20);
    }

    /** Login Request / Logout Request: CID (bytes 20..21). */
    public int cid() {
        return uint16(20);
    }

    public Pdu cid(int value) {
        return uint16(20, value);
    }

    // ---- offsets 24, 28, 32: sequence numbers -------------------------------------------------

    /** Requests (SCSI Command, NOP-Out, TMF, Text, Login, Logout): CmdSN (offset 24). */
    public int cmdSn() {
        return int32(24);
    }

    public Pdu cmdSn(int value) {
        return int32(24, value);
    }

    /** Responses: StatSN (offset 24). */
    public int statSn() {
        return int32(24);
    }

    public Pdu statSn(int value) {
        return int32(24, value);
    }

    /** Requests and Data-Out/SNACK: ExpStatSN (offset 28). */
    public int expStatSn() {
        return int32(28);
    }

    public Pdu expStatSn(int value) {
        return int32(28, value);
    }

    /** Responses: ExpCmdSN (offset 28). */
    public int expCmdSn() {
        return int32(28);
    }

    public Pdu expCmdSn(int value) {
        return int32(28, value);
    }

    /** Responses: MaxCmdSN (offset 32). */
    public int maxCmdSn() {
        return int32(32);
    }

    public Pdu maxCmdSn(int value) {
        return int32(32, value);
    }

    /** Task Management Request: RefCmdSN (11.5.4). */
    public int refCmdSn() {
        return int32(32);
    }

    public Pdu refCmdSn(int value) {
        return int32(32, value);
    }

    // ---- offsets 36..47 -----------------------------------------------------------------------

    /** Data-Out/Data-In: DataSN; R2T: R2TSN; Reject: DataSN/R2TSN (offset 36). */
    public int dataSn() {
        return int32(36);
    }

    public Pdu dataSn(int value) {
        return int32(36, value);
    }

    /** SCSI Response: ExpDataSN; TMF Request: ExpDataSN (offset 36). */
    public int expDataSn() {
        return int32(36);
    }

    public Pdu expDataSn(int value) {
        return int32(36, value);
    }

    /** Data-Out, Data-In, R2T: Buffer Offset (offset 40). */
    public int bufferOffset() {
        return int32(40);
    }

    public Pdu bufferOffset(int bytes) {
        return int32(40, bytes);
    }

    /** SCSI Response: Bidirectional Read Residual Count (11.4.6). */
    public int bidiReadResidualCount() {
        return int32(40);
    }

    public Pdu bidiReadResidualCount(int bytes) {
        return int32(40, bytes);
    }

    /** SCSI Response and Data-In: Residual Count (offset 44). */
    public int residualCount() {
        return int32(44);
    }

    public Pdu residualCount(int bytes) {
        return int32(44, bytes);
    }

    /** R2T: Desired Data Transfer Length (11.8.4). */
    public int desiredDataTransferLength() {
        return int32(44);
    }

    public Pdu desiredDataTransferLength(int bytes) {
        return int32(44, bytes);
    }

    /** SNACK: BegRun (offset 40) and RunLength (offset 44), 11.16. */
    public int snackBegRun() {
        return int32(40);
    }

    public int snackRunLength() {
        return int32(44);
    }

    /** SNACK: Type (byte 1 low 4 bits), 11.16.1. */
    public int snackType() {
        return uint8(1) & 0x0f;
    }

    // ---- SCSI Command (11.3) ------------------------------------------------------------------

    /** SCSI Command R bit: data-in expected. */
    public boolean readFlag() {
        return bit(1, 0x40);
    }

    public Pdu readFlag(boolean on) {
        return bit(1, 0x40, on);
    }

    /** SCSI Command W bit: data-out expected. */
    public boolean writeFlag() {
        return bit(1, 0x20);
    }

    public Pdu writeFlag(boolean on) {
        return bit(1, 0x20, on);
    }

    /** SCSI Command task attributes (ATTR, 3 bits). */
    public int taskAttributes() {
        return uint8(1) & 0x07;
    }

    /** SCSI Command: the 16-byte CDB field (bytes 32..47), copied. */
    public byte[] cdbField() {
        byte[] cdb = new byte[16];
        System.arraycopy(bhs, 32, cdb, 0, 16);
        return cdb;
    }

    public Pdu cdbField(byte[] cdb) {
        if (cdb.length > 16) {
            throw new IllegalArgumentException("CDB longer than 16 bytes needs an AHS: " + cdb.length);
        }
        System.arraycopy(cdb, 0, bhs, 32, cdb.length);
        return this;
    }

    // ---- SCSI Response (11.4) and Data-In (11.7) flags, status --------------------------------

    /** SCSI Response: Response byte (11.4.3); TMF/Logout Response: Response (byte 2). */
    public int response() {
        return uint8(2);
    }

    public Pdu response(int value) {
        return uint8(2, value);
    }

    /** SCSI Response / Data-In (with S): SCSI status (byte 3). */
    public int status() {
        return uint8(3);
    }

    public Pdu status(int value) {
        return uint8(3, value);
    }

    /** SCSI Response: o bit, bidirectional read residual overflow. */
    public boolean bidiOverflow() {
        return bit(1, 0x10);
    }

    /** SCSI Response: u bit, bidirectional read residual underflow. */
    public boolean bidiUnderflow() {
        return bit(1, 0x08);
    }

    /** SCSI Response / Data-In: O bit, residual overflow. */
    public boolean residualOverflow() {
        return bit(1, 0x04);
    }

    public Pdu residualOverflow(boolean on) {
        return bit(1, 0x04, on);
    }

    /** SCSI Response / Data-In: U bit, residual underflow. */
    public boolean residualUnderflow() {
        return bit(1, 0x02);
    }

    public Pdu residualUnderflow(boolean on) {
        return bit(1, 0x02, on);
    }

    /** Data-In: A bit (acknowledge requested, ERL > 0 only). */
    public boolean acknowledgeFlag() {
        return bit(1, 0x40);
    }

    /** Data-In: S bit, status carried in this PDU (phase collapse, 11.7.2). */
    public boolean statusFlag() {
        return bit(1, 0x01);
    }

    public Pdu statusFlag(boolean on) {
        return bit(1, 0x01, on);
    }

    // ---- Task Management (11.5, 11.6) ---------------------------------------------------------

    /** TMF Request: Function (byte 1 low 7 bits). */
    public int tmfFunction() {
        return uint8(1) & 0x7f;
    }

    public Pdu tmfFunction(int function) {
        assert function >= 0 && function < 0x80 : function;
        bhs[1] = (byte) (0x80 | function);
        return this;
    }

    // ---- Text and Login (11.10..11.13) --------------------------------------------------------

    /** Text / Login: C bit (continue). */
    public boolean continueFlag() {
        return bit(1, 0x40);
    }

    public Pdu continueFlag(boolean on) {
        return bit(1, 0x40, on);
    }

    /** Login: T bit (transit) is the F bit position. */
    public boolean transitFlag() {
        return finalFlag();
    }

    public Pdu transitFlag(boolean on) {
        return finalFlag(on);
    }

    /** Login: CSG (byte 1 bits 2..3). */
    public int currentStage() {
        return (uint8(1) >>> 2) & 0x03;
    }

    public Pdu currentStage(int stage) {
        assert stage >= 0 && stage <= 3 : stage;
        bhs[1] = (byte) ((bhs[1] & ~0x0c) | (stage << 2));
        return this;
    }

    /** Login: NSG (byte 1 bits 0..1). */
    public int nextStage() {
        return uint8(1) & 0x03;
    }

    public Pdu nextStage(int stage) {
        assert stage >= 0 && stage <= 3 : stage;
        bhs[1] = (byte) ((bhs[1] & ~0x03) | stage);
        return this;
    }

    /** Login Request/Response: Version-max (byte 2). */
    public int versionMax() {
        return uint8(2);
    }

    public Pdu versionMax(int value) {
        return uint8(2, value);
    }

    /** Login Request: Version-min; Login Response: Version-active (byte 3). */
    public int versionMinOrActive() {
        return uint8(3);
    }

    public Pdu versionMinOrActive(int value) {
        return uint8(3, value);
    }

    /** Login: ISID (bytes 8..13, 48 bits). */
    public long isid() {
        return int64(8) >>> 16;
    }

    public Pdu isid(long value) {
        assert (value >>> 48) == 0 : value;
        long tsih = uint16(14);
        return int64(8, (value << 16) | tsih);
    }

    /** Login: TSIH (bytes 14..15). */
    public int tsih() {
        return uint16(14);
    }

    public Pdu tsih(int value) {
        return uint16(14, value);
    }

    /** Login Response: Status-Class (byte 36). */
    public int statusClass() {
        return uint8(36);
    }

    public Pdu statusClass(int value) {
        return uint8(36, value);
    }

    /** Login Response: Status-Detail (byte 37). */
    public int statusDetail() {
        return uint8(37);
    }

    public Pdu statusDetail(int value) {
        return uint8(37, value);
    }

    // ---- Logout (11.14, 11.15), Reject (11.17), Async (11.9) ---------------------------------

    /** Logout Request: Reason Code (byte 1 low 7 bits). */
    public int logoutReason() {
        return uint8(1) & 0x7f;
    }

    public Pdu logoutReason(int reason) {
        assert reason >= 0 && reason < 0x80 : reason;
        bhs[1] = (byte) (0x80 | reason);
        return this;
    }

    /** Logout Response: Time2Wait seconds (bytes 40..41). */
    public int time2WaitSeconds() {
        return uint16(40);
    }

    public Pdu time2WaitSeconds(int value) {
        return uint16(40, value);
    }

    /** Logout Response: Time2Retain seconds (bytes 42..43). */
    public int time2RetainSeconds() {
        return uint16(42);
    }

    public Pdu time2RetainSeconds(int value) {
        return uint16(42, value);
    }

    /** Reject: Reason (byte 2). */
    public int rejectReason() {
        return uint8(2);
    }

    public Pdu rejectReason(int reason) {
        return uint8(2, reason);
    }

    /** Async Message: AsyncEvent (byte 36) and AsyncVCode (byte 37). */
    public int asyncEvent() {
        return uint8(36);
    }

    public Pdu asyncEvent(int value) {
        return uint8(36, value);
    }

    public int asyncVCode() {
        return uint8(37);
    }

    /** Async Message: Parameter1..3 (bytes 38..43), index 1..3. */
    public int asyncParameter(int index) {
        if (index < 1 || index > 3) {
            throw new IllegalArgumentException("async parameter index must be 1..3: " + index);
        }
        return uint16(36 + 2 * index);
    }

    public Pdu asyncParameter(int index, int value) {
        if (index < 1 || index > 3) {
            throw new IllegalArgumentException("async parameter index must be 1..3: " + index);
        }
        return uint16(36 + 2 * index, value);
    }

    // ---- segments -----------------------------------------------------------------------------

    public byte[] ahs() {
        return ahs;
    }

    /** Sets the AHS (a multiple of 4 bytes, at most 1020) and TotalAHSLength. */
    public Pdu ahs(byte[] value) {
        if (value.length % 4 != 0 || value.length > 255 * 4) {
            throw new IllegalArgumentException("AHS must be a multiple of 4 bytes <= 1020: " + value.length);
        }
        ahs = value;
        return uint8(4, value.length / 4);
    }

    /** The data segment (not a copy; owned by this PDU). */
    public ByteBuf data() {
        return data;
    }

    /** Replaces the data segment (this PDU takes ownership) and sets DataSegmentLength. */
    public Pdu data(ByteBuf value) {
        int length = value.readableBytes();
        if (length > DATA_SEGMENT_LENGTH_FIELD_MAX) {
            value.release();
            throw new IllegalArgumentException("data segment exceeds 24-bit field: " + length);
        }
        ByteBuf old = data;
        data = value;
        old.release();
        uint8(5, length >>> 16);
        return uint16(6, length & 0xffff);
    }

    // ---- reference counting delegates to the data segment ---------------------------------------

    @Override
    public int refCnt() {
        return data.refCnt();
    }

    @Override
    public Pdu retain() {
        data.retain();
        return this;
    }

    @Override
    public Pdu retain(int increment) {
        data.retain(increment);
        return this;
    }

    @Override
    public Pdu touch() {
        data.touch();
        return this;
    }

    @Override
    public Pdu touch(Object hint) {
        data.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return data.release();
    }

    @Override
    public boolean release(int decrement) {
        return data.release(decrement);
    }

    @Override
    public String toString() {
        Opcode op = opcode();
        return "Pdu{" + (op == null ? "opcode=0x" + Integer.toHexString(opcodeCode()) : op)
                + (immediate() ? " I" : "") + " flags=0x" + Integer.toHexString(flags())
                + " itt=0x" + Integer.toHexString(itt()) + " dsl=" + dataSegmentLengthBytes()
                + " ahs=" + ahs.length + "}";
    }
}

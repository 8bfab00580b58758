package io.pmtarget.target.session;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * One SCSI command of the session, from its SCSI Command PDU until its status is sent (or it is
 * aborted). Event-loop confined.
 *
 * <p>Data-out layout (RFC 7143 sections 4.2.4.2 and 13.10/13.11): bytes [0, unsolicitedEndBytes)
 * arrive unsolicited (immediate data, then Data-Out with TTT 0xffffffff); bytes
 * [unsolicitedEndBytes, edtl) are asked for with R2Ts of at most MaxBurstLength each.
 */
final class Task {
    enum State {
        /** Waiting for data-out. */
        COLLECTING,
        /** Handed to the ScsiTarget; completion pending. */
        EXECUTING,
        /** Completed; Data-In / SCSI Response being written. */
        RESPONDING,
        /** Aborted by task management while EXECUTING: the completion is dropped. */
        ABORTED
    }

    /** One R2T in flight (section 11.8). */
    static final class R2t {
        final int ttt;
        final int r2tSn;
        final int offsetBytes;
        final int lengthBytes;
        int receivedBytes;
        int nextDataSn;

        R2t(int ttt, int r2tSn, int offsetBytes, int lengthBytes) {
            assert lengthBytes > 0 : lengthBytes;
            this.ttt = ttt;
            this.r2tSn = r2tSn;
            this.offsetBytes = offsetBytes;
            this.lengthBytes = lengthBytes;
        }
    }

    final int itt;
    final int cmdSn;
    final boolean immediate;
    final boolean read;
    final boolean write;
    final long lunField;
    final long lun;
    final int edtlBytes;
    final byte[] cdb;

    State state = State.COLLECTING;
    /** Collected data-out; null for commands without data-out and after hand-off. */
    ByteBuf dataOut;
    /** Bytes of this session's data-out budget this task holds. */
    long reservedBytes;
    int receivedBytes;
    int unsolicitedEndBytes;
    int unsolicitedNextOffsetBytes;
    int unsolicitedNextDataSn;
    /** Next offset no R2T has asked for yet. */
    int solicitNextOffsetBytes;
    int nextR2tSn;
    final ArrayDeque<R2t> r2ts = new ArrayDeque<>();
    /**
     * A Data-Out of this task arrived with a wrong DataSN: RFC 7143 7.9 treats it as an implied
     * digest error, so its data counts as lost and the task ends with CHECK CONDITION once all
     * its data is in (section 7.8 option b).
     */
    boolean dataLost;
    /** Task management waiting for this aborted task's completion, or null. */
    TaskManagement.Pending tmfWaiter;

    Task(int itt, int cmdSn, boolean immediate, boolean read, boolean write, long lunField, long lun,
            int edtlBytes, byte[] cdb) {
        this.itt = itt;
        this.cmdSn = cmdSn;
        this.immediate = immediate;
        this.read = read;
        this.write = write;
        this.lunField = lunField;
        this.lun = lun;
        this.edtlBytes = edtlBytes;
        this.cdb = cdb;
    }

    R2t findR2t(int ttt) {
        for (R2t r2t : r2ts) {
            if (r2t.ttt == ttt) {
                return r2t;
            }
        }
        return null;
    }

    boolean allDataReceived() {
        return !write || receivedBytes == edtlBytes;
    }

    /** Releases the data-out buffer if this task still owns it. */
    void releaseDataOut() {
        if (dataOut != null) {
            dataOut.release();
            dataOut = null;
        }
    }

    @Override
    public String toString() {
        return "Task{itt=0x" + Integer.toHexString(itt) + " cmdSn=" + cmdSn + " lun=" + lun + " state=" + state
                + " edtl=" + edtlBytes + " received=" + receivedBytes + "}";
    }
}

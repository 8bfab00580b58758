package io.pmtarget.target.session;

/** SCSI status codes (SAM-5 section 5.3) and the few sense descriptors the transport itself raises. */
final class ScsiStatus {
    private ScsiStatus() {
    }

    static final int GOOD = 0x00;
    static final int CHECK_CONDITION = 0x02;
    static final int CONDITION_MET = 0x04;
    static final int INTERMEDIATE_CONDITION_MET = 0x14;
    static final int TASK_SET_FULL = 0x28;

    /** RFC 7143 section 11.7.4: status may ride on Data-In only if the command did not end with an exception. */
    static boolean mayCollapseIntoDataIn(int status, byte[] sense) {
        return sense == null && (status == GOOD || status == CONDITION_MET || status == INTERMEDIATE_CONDITION_MET);
    }

    /** Fixed-format sense data (SPC-5 section 4.4.3), 18 bytes. */
    static byte[] fixedSense(int senseKey, int asc, int ascq) {
        byte[] sense = new byte[18];
        sense[0] = 0x70; // current error, fixed format
        sense[2] = (byte) (senseKey & 0x0f);
        sense[7] = 10; // additional sense length: bytes 8..17
        sense[12] = (byte) asc;
        sense[13] = (byte) ascq;
        return sense;
    }

    static final int SENSE_KEY_ILLEGAL_REQUEST = 0x05;
    static final int SENSE_KEY_ABORTED_COMMAND = 0x0b;
    static final int ASC_INVALID_FIELD_IN_CDB = 0x24;
    static final int ASC_LUN_NOT_SUPPORTED = 0x25;
}

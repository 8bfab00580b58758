package io.pmtarget.target.scsi;

/**
 * The one table of sense key / ASC / ASCQ triples this target reports (SPC-5 4.4.8 and Annex F).
 * Every operating error of the SCSI layer is one of these constants; nothing builds sense bytes
 * from loose numbers.
 */
public enum SenseCode {
    NO_SENSE(0x0, 0x00, 0x00),
    /** NOT READY, LOGICAL UNIT NOT READY, CAUSE NOT REPORTABLE: the volume was closed. */
    NOT_READY(0x2, 0x04, 0x00),
    UNRECOVERED_READ_ERROR(0x3, 0x11, 0x00),
    WRITE_ERROR(0x3, 0x0C, 0x00),
    /** HARDWARE ERROR, INTERNAL TARGET FAILURE: cache device failure or a bug of ours. */
    INTERNAL_TARGET_FAILURE(0x4, 0x44, 0x00),
    PARAMETER_LIST_LENGTH_ERROR(0x5, 0x1A, 0x00),
    INVALID_OPERATION_CODE(0x5, 0x20, 0x00),
    LBA_OUT_OF_RANGE(0x5, 0x21, 0x00),
    INVALID_FIELD_IN_CDB(0x5, 0x24, 0x00),
    LU_NOT_SUPPORTED(0x5, 0x25, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(0x5, 0x26, 0x00),
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(0x5, 0x26, 0x04),
    /** ILLEGAL REQUEST, INVALID FIELD IN INFORMATION UNIT: data-out ends inside a logical block. */
    INVALID_FIELD_IN_INFORMATION_UNIT(0x5, 0x0E, 0x03),
    SAVING_PARAMETERS_NOT_SUPPORTED(0x5, 0x39, 0x00),
    INSUFFICIENT_REGISTRATION_RESOURCES(0x5, 0x55, 0x04),
    POWER_ON_RESET(0x6, 0x29, 0x00),
    MODE_PARAMETERS_CHANGED(0x6, 0x2A, 0x01),
    RESERVATIONS_PREEMPTED(0x6, 0x2A, 0x03),
    RESERVATIONS_RELEASED(0x6, 0x2A, 0x04),
    REGISTRATIONS_PREEMPTED(0x6, 0x2A, 0x05),
    CAPACITY_DATA_CHANGED(0x6, 0x2A, 0x09),
    WRITE_PROTECTED(0x7, 0x27, 0x00),
    MISCOMPARE_DURING_VERIFY(0xE, 0x1D, 0x00);

    public final int senseKey;
    public final int asc;
    public final int ascq;

    SenseCode(int senseKey, int asc, int ascq) {
        this.senseKey = senseKey;
        this.asc = asc;
        this.ascq = ascq;
    }
}

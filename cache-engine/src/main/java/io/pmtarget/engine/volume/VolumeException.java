package io.pmtarget.engine.volume;

import java.io.IOException;

/** An operating error of a volume, with a kind the SCSI layer maps onto sense data. */
public final class VolumeException extends IOException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Reading the backing device failed (SCSI: MEDIUM ERROR, unrecovered read error). */
        BACKING_READ_ERROR,
        /** Writing the backing device failed; sticky until restart (SCSI: MEDIUM ERROR, write error). */
        BACKING_WRITE_ERROR,
        /** The volume refuses writes: corruption found at recovery, or opened read-only (SCSI: DATA PROTECT). */
        READ_ONLY,
        /** The cache device failed or holds inconsistent metadata (SCSI: HARDWARE ERROR). */
        CACHE_ERROR,
        /** The volume was closed. */
        CLOSED
    }

    private final Kind kind;

    public VolumeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public VolumeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}

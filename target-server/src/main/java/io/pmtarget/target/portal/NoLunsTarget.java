package io.pmtarget.target.portal;

import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import io.pmtarget.target.scsi.ScsiTarget;

import java.util.function.Consumer;

/**
 * The SCSI side of a discovery session: it has no logical units (RFC 7143 section 6.3: a
 * discovery session carries only Text and Logout requests), so every command fails with
 * ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (SPC-5 ASC 25h).
 */
final class NoLunsTarget implements ScsiTarget {

    static final NoLunsTarget INSTANCE = new NoLunsTarget();

    private static final int CHECK_CONDITION = 0x02;
    private static final int SENSE_LENGTH_BYTES = 18;

    private NoLunsTarget() {
    }

    @Override
    public int maxDataOutBytes() {
        return 0;
    }

    @Override
    public void execute(ScsiRequest request, Consumer<ScsiResponse> done) {
        if (request.dataOut() != null) {
            request.dataOut().release();
        }
        byte[] sense = new byte[SENSE_LENGTH_BYTES];
        sense[0] = 0x70; // current error, fixed format
        sense[2] = 0x05; // ILLEGAL REQUEST
        sense[7] = SENSE_LENGTH_BYTES - 8;
        sense[12] = 0x25; // LOGICAL UNIT NOT SUPPORTED
        done.accept(new ScsiResponse(CHECK_CONDITION, sense, null));
    }

    @Override
    public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
        // Nothing to reset.
    }
}

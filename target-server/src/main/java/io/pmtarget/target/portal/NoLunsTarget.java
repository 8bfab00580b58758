package io.pmtarget.target.portal;

import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.scsi.Sense;
import io.pmtarget.target.scsi.SenseCode;

import java.util.function.Consumer;

/**
 * The SCSI side of a discovery session: it has no logical units (RFC 7143 section 6.3: a
 * discovery session carries only Text and Logout requests), so every command fails with
 * ILLEGAL REQUEST, LOGICAL UNIT NOT SUPPORTED (SPC-5 ASC 25h).
 */
final class NoLunsTarget implements ScsiTarget {

    static final NoLunsTarget INSTANCE = new NoLunsTarget();

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
        done.accept(new ScsiResponse(Sense.STATUS_CHECK_CONDITION, Sense.of(SenseCode.LU_NOT_SUPPORTED), null));
    }

    @Override
    public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
        // Nothing to reset.
    }
}

package io.pmtarget.target.scsi;

import java.util.function.Consumer;

/**
 * The SCSI side of a target: the logical units behind one iSCSI target name.
 *
 * <p>The transport calls {@link #execute} on its event loop; implementations must not block it:
 * disk work runs on the logical unit's own executor and {@code done} is called from there (or
 * inline for commands that need no I/O). {@code done} is called exactly once.
 */
public interface ScsiTarget {

    /**
     * How many data-out bytes the command may carry, checked before the transport collects them:
     * lets the transport refuse an oversized write up front instead of buffering it.
     */
    int maxDataOutBytes();

    void execute(ScsiRequest request, Consumer<ScsiResponse> done);

    /** Task management: the transport aborted these commands' I_T nexus tasks (LUN RESET etc.). */
    void reset(long lun, ItNexus nexus, boolean wholeTarget);

    /**
     * The I_T nexus is gone (session closed, logged out or dropped; SAM-5 6.2 I_T nexus loss):
     * RESERVE(6) reservations it held end and its pending unit attentions are dropped. Persistent
     * reservation registrations survive it (SPC-5 5.13.2). Default: nothing to clean up.
     */
    default void nexusLost(ItNexus nexus) {
    }
}

package io.pmtarget.target.session;

import io.pmtarget.target.scsi.ItNexus;

/**
 * What the login phase hands to the full-feature phase (RFC 7143 section 6: the session exists
 * once the final Login Response with NSG=FullFeaturePhase is sent).
 *
 * @param params     negotiated operational parameters
 * @param nexus      the I_T nexus (InitiatorName + ISID, TargetName + TPGT)
 * @param tsih       the session handle the target assigned
 * @param cid        this connection's CID from the Login Request
 * @param expCmdSn   the next CmdSN expected (the final Login Request's CmdSN: login requests are
 *                   immediate and do not advance it, section 11.12.7)
 * @param nextStatSn the StatSN of the next status we send (final Login Response's StatSN + 1)
 * @param discovery  SessionType=Discovery: only Text (SendTargets), NOP-Out and Logout are served
 *                   (RFC 7143 section 4.3); anything else is rejected
 */
public record SessionHandover(SessionParams params, ItNexus nexus, int tsih, int cid, int expCmdSn, int nextStatSn,
        boolean discovery) {
    public SessionHandover {
        if (params == null || nexus == null) {
            throw new IllegalArgumentException("params and nexus are required");
        }
        if (tsih <= 0 || tsih > 0xffff || cid < 0 || cid > 0xffff) {
            throw new IllegalArgumentException("TSIH must be in [1, 65535] and CID in [0, 65535]: " + tsih + ", " + cid);
        }
    }
}

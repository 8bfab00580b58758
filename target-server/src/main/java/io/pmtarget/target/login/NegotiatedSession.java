package io.pmtarget.target.login;

import java.util.Objects;

/**
 * A completed login: who logged in to what, with which parameters.
 *
 * @param sessionType normal or discovery
 * @param initiatorName InitiatorName as sent
 * @param initiatorAlias InitiatorAlias or null
 * @param target the target's policy, null for discovery sessions
 * @param isid ISID (48 bits)
 * @param tsih the session's TSIH (non-zero)
 * @param cid this connection's CID
 * @param reinstated true if this login replaced an older session with the same ISID
 * @param chapAuthenticated true if the initiator proved itself with CHAP
 * @param parameters the negotiated operational parameters
 */
public record NegotiatedSession(
        SessionType sessionType,
        String initiatorName,
        String initiatorAlias,
        TargetPolicy target,
        long isid,
        int tsih,
        int cid,
        boolean reinstated,
        boolean chapAuthenticated,
        OperationalParameters parameters) {

    public NegotiatedSession {
        Objects.requireNonNull(sessionType, "sessionType");
        Objects.requireNonNull(initiatorName, "initiatorName");
        Objects.requireNonNull(parameters, "parameters");
        if ((sessionType == SessionType.NORMAL) != (target != null)) {
            throw new IllegalArgumentException("a target is given exactly for normal sessions");
        }
        if (tsih <= 0 || tsih > 0xffff) {
            throw new IllegalArgumentException("TSIH must be 1..65535: " + tsih);
        }
    }

    /** The target name, or null for discovery. */
    public String targetName() {
        return target == null ? null : target.targetName();
    }
}

package io.pmtarget.target.scsi;

/**
 * An I_T nexus (SAM-5): the initiator port is the iSCSI initiator name plus ISID; the target port
 * is the target name plus target portal group tag. Used for reservations and unit attentions.
 */
public record ItNexus(String initiatorName, long isid, String targetName, int targetPortalGroupTag) {

    /** The SCSI initiator port name as iSCSI defines it (RFC 7143 section 4.4.2): name,i,0x ISID. */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + String.format("%012x", isid);
    }
}

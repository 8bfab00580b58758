package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/**
 * One SCSI command as the iSCSI transport hands it to a logical unit: the CDB, the data-out the
 * transport already collected (immediate, unsolicited and R2T-solicited data), and who sent it.
 *
 * @param lun                          LUN number (already decoded from the iSCSI LUN field)
 * @param cdb                          the CDB bytes (6..16, as many as the opcode's group says)
 * @param expectedDataTransferLengthBytes from the SCSI Command PDU
 * @param dataOut                      all data-out bytes (readable bytes == what the initiator sent,
 *                                     at most expected length), or null for commands without data-out.
 *                                     The logical unit releases it.
 * @param nexus                        the I_T nexus (initiator port + target port), for reservations
 *                                     and unit attentions
 */
public record ScsiRequest(
        long lun,
        byte[] cdb,
        int expectedDataTransferLengthBytes,
        ByteBuf dataOut,
        ItNexus nexus) {
}

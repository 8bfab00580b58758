package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of a SCSI command.
 *
 * @param status  SCSI status byte (GOOD 0x00, CHECK CONDITION 0x02, RESERVATION CONFLICT 0x18, ...)
 * @param sense   fixed-format sense data for CHECK CONDITION, else null
 * @param dataIn  data-in bytes (the transport sends at most the expected length and reports the
 *                residual), or null. The transport releases it.
 */
public record ScsiResponse(int status, byte[] sense, ByteBuf dataIn) {
}

package io.pmtarget.target.scsi;

import io.netty.buffer.ByteBuf;

/**
 * The outcome of a SCSI command.
 *
 * @param status                 SCSI status byte (GOOD 0x00, CHECK CONDITION 0x02, RESERVATION CONFLICT 0x18, ...)
 * @param sense                  fixed-format sense data for CHECK CONDITION, else null
 * @param dataIn                 data-in bytes (the transport sends at most the expected length and reports the
 *                               residual), or null. The transport releases it.
 * @param dataOutCommandBytes    for commands with data-out: how many bytes the CDB itself asks to transfer
 *                               (e.g. WRITE: transfer length x block size), so the transport can report
 *                               residual overflow/underflow against the Expected Data Transfer Length
 *                               (RFC 7143 section 11.4.5); -1 when not reported
 */
public record ScsiResponse(int status, byte[] sense, ByteBuf dataIn, long dataOutCommandBytes) {

    public ScsiResponse(int status, byte[] sense, ByteBuf dataIn) {
        this(status, sense, dataIn, -1);
    }
}

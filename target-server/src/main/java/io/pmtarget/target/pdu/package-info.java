/**
 * iSCSI PDU format (RFC 7143 section 11): {@link io.pmtarget.target.pdu.Pdu} (typed BHS fields of
 * every opcode), {@link io.pmtarget.target.pdu.PduDecoder} (bytes to PDUs, bounded, digests) and
 * {@link io.pmtarget.target.pdu.PduEncoder} (PDUs to pooled direct buffers, zero-copy data).
 * No login or session logic lives here: the decoder reports errors as
 * {@link io.pmtarget.target.pdu.PduDecodeError} and the phase handler answers them.
 */
package io.pmtarget.target.pdu;

/**
 * SCSI block commands (SPC-5 / SBC-4) over cache-engine volumes.
 *
 * <p>Entry point: {@link io.pmtarget.target.scsi.BlockScsiTarget}, built from the iSCSI target name,
 * the transport's per-command transfer limit and one {@link io.pmtarget.target.scsi.LunConfig} per
 * LUN. The transport calls {@code execute} on its event loop; commands that touch the volume run
 * on the LU's bounded executor, the rest complete inline. Data-in buffers are pooled direct
 * buffers owned by the transport once handed over; data-out buffers are released here.
 *
 * <p>Decisions worth knowing:
 * <ul>
 *   <li>A LUN block is whole volume blocks (no read-modify-write): LunConfig refuses a 512-byte
 *       LUN over a 4096-byte volume.</li>
 *   <li>Every CDB is checked against the command's usage map in {@code CommandTable}; bits outside
 *       it (reserved, protection, NACA/LINK, ANCHOR ...) get INVALID FIELD IN CDB with the exact
 *       byte and bit. REPORT SUPPORTED OPERATION CODES reports the same maps.</li>
 *   <li>WCE = 0 turns every write into a FUA write (and turning it off first flushes).</li>
 *   <li>COMPARE AND WRITE holds its LBA range exclusively; all other I/O takes it shared.</li>
 *   <li>Sense data is fixed format only; every sense triple comes from {@code SenseCode}.</li>
 *   <li>Unit attentions: after LUN/target reset (29/00), after MODE SELECT changed WCE (2A/01, other
 *       nexuses), PR preemption/release/clear (2A/03..05). No power-on UA for a new nexus.</li>
 *   <li>Persistent reservations are kept in memory only (no APTPL); RESERVE(6)/(10) are SPC-2 style.</li>
 * </ul>
 */
package io.pmtarget.target.scsi;

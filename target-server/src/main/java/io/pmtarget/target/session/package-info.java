/**
 * The full-feature phase of an iSCSI connection (RFC 7143 section 4.2 and 11):
 * {@link io.pmtarget.target.session.FullFeatureHandler} and its parts (CmdSN window, data
 * transfer, task management, NOP, logout). The login phase hands over a
 * {@link io.pmtarget.target.session.SessionHandover} through
 * {@link io.pmtarget.target.session.IscsiPipeline#enterFullFeaturePhase}.
 */
package io.pmtarget.target.session;

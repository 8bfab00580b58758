package io.pmtarget.target.portal;

import io.pmtarget.target.login.InMemorySessionRegistry;
import io.pmtarget.target.login.TargetDirectory;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.session.SessionLimits;

import java.security.SecureRandom;
import java.util.function.Function;

/**
 * What every connection of the server shares: the targets and their policies, the session
 * registry, the SCSI targets by name and the per-session limits.
 *
 * @param loginTimeoutMs a connection that has not finished login by then is closed
 */
record PortalContext(
        TargetDirectory directory,
        InMemorySessionRegistry registry,
        SessionChannels channels,
        Function<String, ScsiTarget> scsiTargets,
        SessionLimits limits,
        SecureRandom random,
        long loginTimeoutMs) {
}

package io.pmtarget.target.portal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.pmtarget.target.login.InMemorySessionRegistry;
import io.pmtarget.target.login.TargetDirectory;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.session.IscsiPipeline;
import io.pmtarget.target.session.SessionLimits;

import java.security.SecureRandom;
import java.util.function.Function;

/** Builds each new iSCSI connection's pipeline: PDU codec, then the login phase. */
public final class IscsiConnectionInitializer extends ChannelInitializer<Channel> {

    /** RFC 7143 leaves the login timeout to the implementation; open-iscsi's own is 15 s. */
    public static final long LOGIN_TIMEOUT_MS_DEFAULT = 30_000;
    /** Sessions (of all initiators) at once; each may buffer SessionLimits.bufferedDataOutBytesMax. */
    public static final int SESSIONS_MAX_DEFAULT = 64;

    private final PortalContext portal;

    public IscsiConnectionInitializer(TargetDirectory directory, Function<String, ScsiTarget> scsiTargets,
            SessionLimits limits, int sessionsMax, long loginTimeoutMs) {
        SessionChannels channels = new SessionChannels();
        this.portal = new PortalContext(directory, new InMemorySessionRegistry(sessionsMax, channels), channels,
                scsiTargets, limits, new SecureRandom(), loginTimeoutMs);
    }

    IscsiConnectionInitializer(PortalContext portal) {
        this.portal = portal;
    }

    @Override
    protected void initChannel(Channel channel) {
        IscsiPipeline.initConnection(channel.pipeline(), new LoginPhaseHandler(portal));
    }
}

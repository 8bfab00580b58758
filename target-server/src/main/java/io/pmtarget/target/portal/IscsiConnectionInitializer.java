package io.pmtarget.target.portal;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.pmtarget.target.session.IscsiPipeline;

/** Builds each new iSCSI connection's pipeline: PDU codec, then the login phase. */
public final class IscsiConnectionInitializer extends ChannelInitializer<Channel> {

    /** RFC 7143 leaves the login timeout to the implementation; open-iscsi's own is 15 s. */
    public static final long LOGIN_TIMEOUT_MS_DEFAULT = 30_000;
    /** Sessions (of all initiators) at once; each may buffer SessionLimits.bufferedDataOutBytesMax. */
    public static final int SESSIONS_MAX_DEFAULT = 64;

    private final PortalContext portal;

    IscsiConnectionInitializer(PortalContext portal) {
        this.portal = portal;
    }

    @Override
    protected void initChannel(Channel channel) {
        IscsiPipeline.initConnection(channel.pipeline(), new LoginPhaseHandler(portal));
    }
}

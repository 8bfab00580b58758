package io.pmtarget.target.session;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.pmtarget.target.pdu.PduDecoder;
import io.pmtarget.target.pdu.PduEncoder;

/**
 * The shape of a connection's pipeline and the one place where login gives way to the
 * full-feature phase:
 *
 * <pre>
 *   socket -> [DECODER PduDecoder] -> [LOGIN login handler] -> (replaced by) [SESSION FullFeatureHandler]
 *   socket <- [ENCODER PduEncoder] <-------------- PDUs written by login / session
 * </pre>
 */
public final class IscsiPipeline {
    public static final String DECODER = "iscsi-pdu-decoder";
    public static final String ENCODER = "iscsi-pdu-encoder";
    public static final String LOGIN = "iscsi-login";
    public static final String SESSION = "iscsi-session";

    private IscsiPipeline() {
    }

    /** Adds the codec and the login handler to a new connection's pipeline. */
    public static void initConnection(ChannelPipeline pipeline, ChannelHandler loginHandler) {
        pipeline.addLast(DECODER, new PduDecoder());
        pipeline.addLast(ENCODER, new PduEncoder());
        pipeline.addLast(LOGIN, loginHandler);
    }

    /**
     * Leaves the login phase: the login handler calls this on the event loop while handling the
     * final Login Request, right AFTER writing the final Login Response (T=1, NSG=3). The response
     * is then already encoded without digests, and the decoder has not framed the next PDU yet
     * (it frames one PDU at a time), so digests start exactly at the first PDU after the final
     * Login Response (RFC 7143 section 13.1). Also sets the decoder's bound to our declared
     * MaxRecvDataSegmentLength, and replaces the login handler with {@code session}.
     */
    public static void enterFullFeaturePhase(ChannelPipeline pipeline, FullFeatureHandler session) {
        if (!pipeline.channel().eventLoop().inEventLoop()) {
            throw new IllegalStateException("enterFullFeaturePhase must run on the channel's event loop");
        }
        SessionParams params = session.params();
        PduDecoder decoder = (PduDecoder) pipeline.get(DECODER);
        PduEncoder encoder = (PduEncoder) pipeline.get(ENCODER);
        if (decoder == null || encoder == null || pipeline.get(LOGIN) == null) {
            throw new IllegalStateException("pipeline lacks " + DECODER + ", " + ENCODER + " or " + LOGIN
                    + ": " + pipeline.names());
        }
        decoder.setMaxRecvDataSegmentLengthBytes(params.targetMaxRecvDataSegmentLengthBytes());
        decoder.setDigests(params.headerDigest(), params.dataDigest());
        encoder.setDigests(params.headerDigest(), params.dataDigest());
        pipeline.replace(LOGIN, SESSION, session);
    }
}

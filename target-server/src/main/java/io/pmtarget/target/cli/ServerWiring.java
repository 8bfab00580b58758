package io.pmtarget.target.cli;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.pmtarget.engine.volume.Volumes;
import io.pmtarget.target.Server;
import io.pmtarget.target.config.ServerConfig;
import io.pmtarget.target.config.TargetConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where {@code pmtarget serve} gets its {@link Server} from. The protocol pipeline and the SCSI
 * target are plugged in here: replace {@link #productionServer(ServerConfig)}'s body with the real
 * {@code TargetFactory} and {@code ConnectionInitializerFactory}, or {@link #install} a factory.
 *
 * <p>Until then the placeholder serves volumes and the admin socket, builds no SCSI target, and
 * closes every iSCSI connection at once with a log line saying why.
 */
public final class ServerWiring {

    private static final Logger LOG = LoggerFactory.getLogger(ServerWiring.class);

    /** Builds an unstarted server for a validated config. */
    @FunctionalInterface
    public interface Factory {
        Server<?> create(ServerConfig config);
    }

    private static volatile Factory factory = ServerWiring::productionServer;

    private ServerWiring() {
    }

    /** Replaces the factory (tests, or a main that plugs in the real pipeline). */
    public static void install(Factory replacement) {
        factory = replacement;
    }

    static Server<?> create(ServerConfig config) {
        return factory.create(config);
    }

    /** Placeholder wiring: real volumes, no protocol handlers yet. */
    static Server<?> productionServer(ServerConfig config) {
        return new Server<TargetConfig>(config, Volumes::open, (target, volumes) -> target,
                (directory, portal) -> new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        LOG.warn("closing connection from {} on {}: no iSCSI protocol pipeline is plugged in"
                                + " (ServerWiring)", channel.remoteAddress(), portal);
                        channel.close();
                    }
                });
    }
}

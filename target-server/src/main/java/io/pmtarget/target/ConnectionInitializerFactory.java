package io.pmtarget.target;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.Channel;
import io.pmtarget.target.config.Portal;

/**
 * Builds the per-connection Netty pipeline (PDU codec, login, session) for one listening portal.
 * The server calls it once per portal after the targets are built; the returned initializer is
 * shared by every connection accepted on that portal, so it must be {@code @Sharable} (Netty's
 * {@link ChannelInitializer} is).
 *
 * @param <T> what {@link TargetFactory} builds (the SCSI target)
 */
@FunctionalInterface
public interface ConnectionInitializerFactory<T> {

    /**
     * @param directory every configured target with its built object (login looks names up here;
     *                  SendTargets lists {@link TargetDirectory#targetsOn(Portal)})
     * @param portal    the portal as configured (port may be 0 in tests; see {@link Server#boundAddresses()})
     */
    ChannelInitializer<? extends Channel> create(TargetDirectory<T> directory, Portal portal);
}

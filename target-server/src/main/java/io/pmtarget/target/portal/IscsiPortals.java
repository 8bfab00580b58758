package io.pmtarget.target.portal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.pmtarget.target.TargetDirectory;
import io.pmtarget.target.config.ChapCredentials;
import io.pmtarget.target.config.Portal;
import io.pmtarget.target.config.TargetConfig;
import io.pmtarget.target.login.AuthPolicy;
import io.pmtarget.target.login.ChapCredential;
import io.pmtarget.target.login.InMemorySessionRegistry;
import io.pmtarget.target.login.NegotiationLimits;
import io.pmtarget.target.login.StaticTargetDirectory;
import io.pmtarget.target.login.TargetPolicy;
import io.pmtarget.target.scsi.ScsiTarget;
import io.pmtarget.target.session.SessionLimits;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.Function;

/**
 * Turns the server's configured targets into the login layer's policies and builds the pipeline
 * initializer of each portal. One instance per server: all portals share one session registry,
 * so session reinstatement works whichever portal the initiator comes back through.
 */
public final class IscsiPortals {

    private final SessionChannels channels = new SessionChannels();
    private final InMemorySessionRegistry registry;
    private final SessionLimits limits;
    private final SecureRandom random = new SecureRandom();

    public IscsiPortals(int sessionsMax, SessionLimits limits) {
        this.registry = new InMemorySessionRegistry(sessionsMax, channels);
        this.limits = limits;
    }

    /** The initializer for one portal: SendTargets there lists only the targets on that portal. */
    public <T extends ScsiTarget> ChannelInitializer<Channel> initializer(TargetDirectory<T> targets, Portal portal) {
        List<TargetPolicy> policies = new ArrayList<>();
        AuthPolicy discoveryAuth = AuthPolicy.NONE;
        for (TargetDirectory.Entry<T> entry : targets.targetsOn(portal)) {
            TargetConfig config = entry.config();
            TargetPolicy policy = policy(config);
            policies.add(policy);
            if (config.discoveryAuth() == TargetConfig.DiscoveryAuth.CHAP && !discoveryAuth.authRequired()) {
                // Discovery is per portal, not per target: the first target asking for CHAP on
                // discovery lends its credentials (the config checks they do not conflict).
                discoveryAuth = policy.auth();
            }
        }
        return initializer(new StaticTargetDirectory(policies, discoveryAuth, true),
                name -> targets.find(name).map(TargetDirectory.Entry::target).orElse(null));
    }

    /** The initializer for a login directory and the SCSI targets behind its names. */
    public ChannelInitializer<Channel> initializer(io.pmtarget.target.login.TargetDirectory directory,
            Function<String, ? extends ScsiTarget> scsiTargets) {
        return new IscsiConnectionInitializer(new PortalContext(directory, registry, channels, scsiTargets::apply,
                limits, random, IscsiConnectionInitializer.LOGIN_TIMEOUT_MS_DEFAULT));
    }

    static TargetPolicy policy(TargetConfig config) {
        AuthPolicy auth = config.chap().isPresent()
                ? AuthPolicy.chapRequired(credential(config.chap().get()),
                        config.mutualChap().map(IscsiPortals::credential).orElse(null))
                : AuthPolicy.NONE;
        List<io.pmtarget.target.login.Portal> portals = new ArrayList<>();
        for (Portal p : config.portals()) {
            portals.add(new io.pmtarget.target.login.Portal(p.host(), p.port()));
        }
        return new TargetPolicy(config.iqn(), config.alias().isEmpty() ? null : config.alias(),
                new HashSet<>(config.allowedInitiators()), config.allowAnyInitiator(), auth,
                NegotiationLimits.fromConfig(config.negotiation()), portals, config.tpgt());
    }

    private static ChapCredential credential(ChapCredentials c) {
        return new ChapCredential(c.user(), c.secret());
    }

}

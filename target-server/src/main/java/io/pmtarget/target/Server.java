package io.pmtarget.target;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.target.admin.AdminServer;
import io.pmtarget.target.admin.VolumeAdminHandler;
import io.pmtarget.target.config.Portal;
import io.pmtarget.target.config.ServerConfig;
import io.pmtarget.target.config.TargetConfig;
import io.pmtarget.target.config.VolumeConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's lifecycle. {@link #start()}: create the data directory, lock it, open the volumes,
 * build the targets, serve the admin socket, listen on every portal. {@link #close()}: stop
 * accepting, close connections, stop the event loops, close the targets, close (commit) the
 * volumes, release the lock. A failed start undoes what it did and throws; nothing keeps running.
 *
 * <p>The config is already valid (a {@link ServerConfig} only comes from the loader), so a bad
 * config never reaches here and no file is touched for it.
 *
 * @param <T> what the {@link TargetFactory} builds (the SCSI target)
 */
public final class Server<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Server.class);

    /** One thread accepts on all portals: accepts are rare (one per iSCSI connection). */
    static final int BOSS_THREADS = 1;
    /** Pending TCP connections per portal; initiators connect a handful at a time. */
    static final int ACCEPT_BACKLOG = 128;
    /**
     * Socket read buffer sizes per connection (Netty's adaptive allocator grows and shrinks within
     * them). Up to 256 KiB, one read can take a whole 256 KiB data segment: a 128 KiB write costs
     * 2-3 reads instead of about 9 with Netty's 64 KiB default. Bounded: one buffer per read.
     */
    static final int RECV_BUFFER_MIN_BYTES = 2048;
    static final int RECV_BUFFER_INITIAL_BYTES = 16 * 1024;
    static final int RECV_BUFFER_MAX_BYTES = 256 * 1024;

    private final ServerConfig config;
    private final VolumeOpener volumeOpener;
    private final TargetFactory<T> targetFactory;
    private final ConnectionInitializerFactory<T> initializerFactory;

    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private final List<TargetDirectory.Entry<T>> targets = new ArrayList<>();
    private final List<Channel> serverChannels = new ArrayList<>();
    private final List<InetSocketAddress> boundAddresses = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private ChannelGroup connections;
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private FileChannel lockChannel;
    private FileLock lock;
    private AdminServer adminServer;
    private TargetDirectory<T> directory;
    private State state = State.NEW;

    private enum State { NEW, STARTING, RUNNING, CLOSED }

    /**
     * @param volumeOpener       {@code Volumes::open} in production
     * @param targetFactory      builds the SCSI target of one target config
     * @param initializerFactory builds the protocol pipeline for a portal
     */
    public Server(ServerConfig config, VolumeOpener volumeOpener, TargetFactory<T> targetFactory,
                  ConnectionInitializerFactory<T> initializerFactory) {
        this.config = config;
        this.volumeOpener = volumeOpener;
        this.targetFactory = targetFactory;
        this.initializerFactory = initializerFactory;
    }

    /** Starts everything; on failure undoes it all and throws with a message saying what failed. */
    public synchronized void start() throws ServerStartException {
        if (state != State.NEW) {
            throw new IllegalStateException("start() on a server that is " + state);
        }
        state = State.STARTING;
        try {
            prepareDataDir();
            openVolumes();
            buildTargets();
            // The admin socket first: once a portal accepts connections, `pmtarget status` answers too
            // (scripts and tests wait for the port, then ask for status).
            adminServer = startAdmin();
            listen();
        } catch (ServerStartException | Error e) {
            closeQuietly();
            throw e;
        } catch (RuntimeException e) {
            // A bug in a plugged-in factory, most likely: still undo everything, keep the cause.
            closeQuietly();
            throw new ServerStartException("unexpected failure while starting: " + e, e);
        }
        state = State.RUNNING;
        LOG.info("pmtarget {} serving: portals {} volumes {} targets {} admin {} data-dir {}",
                Version.version(), describePortals(), describeVolumes(), describeTargets(),
                config.server().adminSocket(), config.server().dataDir());
    }

    private void prepareDataDir() throws ServerStartException {
        Path dataDir = config.server().dataDir();
        try {
            if (!Files.isDirectory(dataDir)) {
                // 0700: the admin socket and volume files inside are this user's alone.
                Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                LOG.info("created data directory {}", dataDir);
            }
            // Only under the data directory: the loader checked that other parents exist.
            for (VolumeConfig volume : config.volumes().values()) {
                createUnderDataDir(volume.cacheFile().getParent());
                createUnderDataDir(volume.backingFile().getParent());
            }
            createUnderDataDir(config.server().adminSocket().getParent());
            lockChannel = FileChannel.open(config.server().lockFile(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by another server in this JVM (tests, embedding)
        } catch (IOException e) {
            throw new ServerStartException("cannot prepare data directory " + dataDir + ": " + e, e);
        }
        if (lock == null) {
            throw new ServerStartException("data directory " + dataDir + " is in use by another pmtarget server ("
                    + config.server().lockFile() + " is locked)");
        }
    }

    private void createUnderDataDir(Path directory) throws IOException {
        if (directory.startsWith(config.server().dataDir())) {
            Files.createDirectories(directory);
        }
    }

    private void openVolumes() throws ServerStartException {
        for (VolumeConfig volume : config.volumes().values()) {
            try {
                Volume opened = volumeOpener.open(volume.toSpec());
                volumes.put(volume.name(), opened);
            } catch (IOException | RuntimeException e) {
                throw new ServerStartException("volume " + volume.name() + ": cannot open (cache "
                        + volume.cacheFile() + ", backing " + volume.backingFile() + "): " + e, e);
            }
        }
    }

    private void buildTargets() throws ServerStartException {
        Map<String, Volume> view = Collections.unmodifiableMap(volumes);
        for (TargetConfig target : config.targets()) {
            try {
                targets.add(new TargetDirectory.Entry<>(target, targetFactory.build(target, view)));
            } catch (Exception e) {
                throw new ServerStartException("target " + target.iqn() + ": cannot build: " + e, e);
            }
        }
        directory = new TargetDirectory<>(targets);
    }

    private void listen() throws ServerStartException {
        int workers = config.server().workerThreads();
        // Linux epoll (Netty's native transport) when it loads: fewer syscalls and no selector
        // garbage per wake-up than NIO; NIO elsewhere.
        boolean epoll = io.netty.channel.epoll.Epoll.isAvailable();
        bossGroup = new MultiThreadIoEventLoopGroup(BOSS_THREADS, new DefaultThreadFactory("pmtarget-accept"),
                epoll ? io.netty.channel.epoll.EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        workerGroup = new MultiThreadIoEventLoopGroup(workers, new DefaultThreadFactory("pmtarget-io"),
                epoll ? io.netty.channel.epoll.EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        LOG.info("network transport: {}", epoll ? "epoll" : "nio");
        connections = new DefaultChannelGroup("pmtarget-connections", GlobalEventExecutor.INSTANCE);
        ChannelHandler tracker = new ConnectionTracker(connections);
        for (Portal portal : config.portals()) {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(bossGroup, workerGroup)
                    .channel(epoll ? io.netty.channel.epoll.EpollServerSocketChannel.class
                            : NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, ACCEPT_BACKLOG)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(tracker)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator(
                            RECV_BUFFER_MIN_BYTES, RECV_BUFFER_INITIAL_BYTES, RECV_BUFFER_MAX_BYTES))
                    .childHandler(initializerFactory.create(directory, portal));
            ChannelFuture bind = bootstrap.bind(portal.socketAddress()).awaitUninterruptibly();
            if (!bind.isSuccess()) {
                throw new ServerStartException("cannot listen on portal " + portal + ": " + bind.cause(),
                        bind.cause());
            }
            serverChannels.add(bind.channel());
            boundAddresses.add((InetSocketAddress) bind.channel().localAddress());
        }
    }

    private AdminServer startAdmin() throws ServerStartException {
        try {
            return AdminServer.start(config.server().adminSocket(), new VolumeAdminHandler(volumes, Version.version()));
        } catch (IOException e) {
            throw new ServerStartException("cannot serve admin socket " + config.server().adminSocket() + ": " + e, e);
        }
    }

    /** Adds every accepted connection to the group so that stop can close them all. */
    @ChannelHandler.Sharable
    private static final class ConnectionTracker extends ChannelInboundHandlerAdapter {
        private final ChannelGroup group;

        ConnectionTracker(ChannelGroup group) {
            this.group = group;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            group.add((Channel) msg);
            ctx.fireChannelRead(msg);
        }
    }

    /** The addresses actually bound, one per distinct portal, in config order (port 0 resolved). */
    public synchronized List<InetSocketAddress> boundAddresses() {
        return List.copyOf(boundAddresses);
    }

    /** The opened volumes by name (empty before start and after close). */
    public synchronized Map<String, Volume> volumes() {
        return Map.copyOf(volumes);
    }

    public synchronized TargetDirectory<T> directory() {
        return directory;
    }

    public ServerConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Graceful stop; idempotent. Volumes are closed (committed) last, after all I/O sources stopped. */
    @Override
    public synchronized void close() {
        if (state == State.CLOSED) {
            return;
        }
        closeQuietly();
    }

    private void closeQuietly() {
        boolean wasRunning = state == State.RUNNING;
        state = State.CLOSED;
        long timeoutMs = config.server().shutdownTimeoutMs();
        if (adminServer != null) {
            run("admin socket", adminServer::close);
        }
        for (Channel channel : serverChannels) {
            run("listener " + channel.localAddress(), () -> channel.close().awaitUninterruptibly(timeoutMs));
        }
        if (connections != null) {
            run("connections", () -> connections.close().awaitUninterruptibly(timeoutMs));
        }
        for (EventLoopGroup group : new EventLoopGroup[] {bossGroup, workerGroup}) {
            if (group != null) {
                run("event loops", () -> group.shutdownGracefully(0, timeoutMs, TimeUnit.MILLISECONDS)
                        .awaitUninterruptibly(timeoutMs));
            }
        }
        for (TargetDirectory.Entry<T> entry : targets) {
            if (entry.target() instanceof AutoCloseable closeable) {
                run("target " + entry.config().iqn(), closeable::close);
            }
        }
        for (Map.Entry<String, Volume> volume : volumes.entrySet()) {
            run("volume " + volume.getKey(), () -> volume.getValue().close());
        }
        volumes.clear();
        serverChannels.clear();
        run("data directory lock", () -> {
            if (lock != null) {
                lock.release();
            }
            if (lockChannel != null) {
                lockChannel.close();
            }
        });
        if (wasRunning) {
            // Before the latch: serve's main thread exits the JVM as soon as it is released.
            LOG.info("pmtarget stopped");
        }
        stopped.countDown();
    }

    private interface Step {
        void run() throws Exception;
    }

    /**
     * Runs one stop step; a failing step is logged and never keeps later steps (volume commits)
     * from running. Errors too: an AssertionError in a network step must not skip the commit.
     */
    private static void run(String what, Step step) {
        try {
            step.run();
        } catch (Exception | Error e) {
            LOG.error("stopping {}: {}", what, e.toString(), e);
        }
    }

    private List<String> describePortals() {
        List<String> out = new ArrayList<>();
        for (InetSocketAddress address : boundAddresses) {
            out.add(new Portal(address.getAddress().getHostAddress(), address.getPort()).toString());
        }
        return out;
    }

    private String describeVolumes() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Volume> entry : volumes.entrySet()) {
            String mode;
            try {
                mode = entry.getValue().status().persistenceMode();
            } catch (RuntimeException e) {
                mode = "unknown (" + e + ")";
            }
            VolumeConfig volume = config.volumes().get(entry.getKey());
            out.add(entry.getKey() + "(persistence=" + mode + ", cache=" + volume.cacheFile()
                    + ", backing=" + volume.backingFile() + ", sizeBytes=" + entry.getValue().sizeBytes() + ")");
        }
        return out.toString();
    }

    private String describeTargets() {
        List<String> out = new ArrayList<>();
        for (TargetConfig target : config.targets()) {
            out.add(target.iqn() + " luns=" + target.luns().keySet());
        }
        return out.toString();
    }
}

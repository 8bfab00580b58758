package io.pmtarget.target;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.target.config.ConfigLoader;
import io.pmtarget.target.config.ServerConfig;
import io.pmtarget.target.config.TargetConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/** A Server over fake volumes, a target object that records its close, and a greeting pipeline. */
public final class ServerFixture {

    public static final String T0 = "iqn.2026-11.io.pmtarget:t0";
    public static final String T1 = "iqn.2026-11.io.pmtarget:t1";
    /** What the dummy pipeline writes to every new connection. */
    public static final String GREETING = "hello\n";

    public final Map<String, FakeVolume> opened = new ConcurrentHashMap<>();
    /** Close order of targets and volumes ("target:IQN", "volume:NAME"). */
    public final List<String> closeOrder = new CopyOnWriteArrayList<>();
    public final AtomicInteger connections = new AtomicInteger();
    public volatile TargetDirectory<FakeTarget> directorySeen;
    public volatile String failOpening;

    /** What the target factory builds: which volumes its LUNs got. */
    public final class FakeTarget implements AutoCloseable {
        public final TargetConfig config;
        public final Map<Integer, Volume> lunVolumes;

        FakeTarget(TargetConfig config, Map<String, Volume> volumes) {
            this.config = config;
            this.lunVolumes = config.luns().values().stream()
                    .collect(Collectors.toMap(l -> l.lun(), l -> volumes.get(l.volume())));
        }

        @Override
        public void close() {
            closeOrder.add("target:" + config.iqn());
        }
    }

    /** Two volumes; t0 (LUN 0 -> v0) and t1 (LUN 1 -> v1) on one portal 127.0.0.1:{@code port}. */
    public static String configText(Path dataDir, int port) {
        return String.join("\n",
                "server { data-dir = \"" + dataDir + "\", shutdown-timeout-ms = 5000 }",
                "volumes {",
                "  v0 { cache-file = c0, cache-size = 1MiB, backing-file = b0, backing-size = 4MiB }",
                "  v1 { cache-file = c1, cache-size = 1MiB, backing-file = b1, backing-size = 8MiB, persistence = java }",
                "}",
                "targets {",
                "  \"" + T0 + "\" { portals = [\"127.0.0.1:" + port + "\"], allow-any-initiator = true,"
                        + " luns { 0 { volume = v0 } } }",
                "  \"" + T1 + "\" { portals = [\"127.0.0.1:" + port + "\"], allow-any-initiator = true,"
                        + " luns { 1 { volume = v1 } } }",
                "}",
                "");
    }

    public static ServerConfig config(Path dataDir, int port) throws Exception {
        return new ConfigLoader(options -> { }).parseText(configText(dataDir, port), "test.conf", null, dataDir);
    }

    public Server<FakeTarget> server(ServerConfig config) {
        return new Server<>(config,
                spec -> {
                    if (spec.name().equals(failOpening)) {
                        throw new java.io.IOException("injected open failure");
                    }
                    FakeVolume volume = new FakeVolume(spec);
                    opened.put(spec.name(), volume);
                    return new RecordingVolume(volume, closeOrder);
                },
                FakeTarget::new,
                (directory, portal) -> {
                    directorySeen = directory;
                    return new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            connections.incrementAndGet();
                            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(
                                            GREETING.getBytes(StandardCharsets.US_ASCII)));
                                    ctx.fireChannelActive();
                                }
                            });
                        }
                    };
                });
    }

    /** Live threads this server family started (Netty loops, admin threads). */
    public static Set<String> pmtargetThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("pmtarget-")).collect(Collectors.toSet());
    }

    /** Waits up to 5 s for all pmtarget threads to end (loops end just after their termination future). */
    public static Set<String> awaitNoPmtargetThreads() throws InterruptedException {
        long deadlineNs = System.nanoTime() + 5_000_000_000L;
        Set<String> left = pmtargetThreads();
        while (!left.isEmpty() && System.nanoTime() < deadlineNs) {
            Thread.sleep(20);
            left = pmtargetThreads();
        }
        return left;
    }
}

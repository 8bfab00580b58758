package io.pmtarget.target.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.ScsiRequest;
import io.pmtarget.target.scsi.ScsiResponse;
import io.pmtarget.target.scsi.ScsiTarget;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Completions from a logical unit's own thread must be handled on the channel's event loop. */
@org.junit.jupiter.api.extension.ExtendWith(io.pmtarget.target.pdu.LeakTrap.Check.class)
class CompletionThreadTest {

    @Test
    void completionsFromAnotherThreadHopBackToTheEventLoop() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
        ExecutorService disk = Executors.newFixedThreadPool(2);
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Boolean> completedOnLoop = new CopyOnWriteArrayList<>();
        ScsiTarget target = new ScsiTarget() {
            @Override
            public int maxDataOutBytes() {
                return 1 << 20;
            }

            @Override
            public void execute(ScsiRequest request, Consumer<ScsiResponse> done) {
                disk.execute(() -> {
                    try {
                        completedOnLoop.add(false);
                        done.accept(new ScsiResponse(0, null,
                                PooledByteBufAllocator.DEFAULT.directBuffer().writeZero(request.expectedDataTransferLengthBytes())));
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                });
            }

            @Override
            public void reset(long lun, ItNexus nexus, boolean wholeTarget) {
            }
        };
        SessionParams params = SessionHarness.params(8192, 262144, 65536, true, true, 1);
        LocalAddress address = new LocalAddress("completion-thread-test");
        BlockingQueue<Pdu> received = new LinkedBlockingQueue<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
                    .childHandler(new ChannelInitializer<LocalChannel>() {
                        @Override
                        protected void initChannel(LocalChannel ch) {
                            ch.pipeline().addLast(new FullFeatureHandler(target, new SessionHandover(params,
                                    SessionHarness.NEXUS, 1, 0, 1, 1, false), SessionHarness.quietLimits(), null));
                        }
                    }).bind(address).sync().channel();
            Channel client = new Bootstrap().group(group).channel(LocalChannel.class)
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            received.add((Pdu) msg);
                        }
                    }).connect(address).sync().channel();
            int commands = 32;
            for (int i = 0; i < commands; i++) {
                client.write(Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).readFlag(true).itt(i)
                        .lunField(Lun.encode(0)).expectedDataTransferLength(4096).cmdSn(1 + i)
                        .cdbField(new byte[] {0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0}));
            }
            client.flush();
            int lastStatSn = 0;
            for (int i = 0; i < commands; i++) {
                Pdu pdu = received.poll(10, TimeUnit.SECONDS);
                assertNotNull(pdu, "response " + i + " did not arrive");
                assertEquals(Opcode.SCSI_DATA_IN, pdu.opcode());
                assertTrue(pdu.statusFlag());
                assertEquals(1 + i, pdu.statSn(), "StatSN in send order");
                lastStatSn = pdu.statSn();
                pdu.release();
            }
            assertEquals(commands, lastStatSn);
            assertEquals(commands, completedOnLoop.size());
            assertTrue(failures.isEmpty(), () -> "completion ran off the event loop: " + failures);
            client.close().sync();
            server.close().sync();
        } finally {
            disk.shutdown();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}

package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Where commands run, executor bounds, buffer ownership and configuration checks. */
class DispatchTest {

    @Test
    void diskIoRunsOnTheLuExecutorOthersInline() throws Exception {
        try (Harness h = new Harness()) {
            Thread caller = Thread.currentThread();
            CompletableFuture<Thread> readThread = new CompletableFuture<>();
            h.target.execute(new ScsiRequest(0, Harness.read10(0, 1, 0), 512, null, Harness.NEXUS_A), r -> {
                r.dataIn().release();
                readThread.complete(Thread.currentThread());
            });
            Thread t = readThread.get(10, TimeUnit.SECONDS);
            assertNotEquals(caller, t);
            assertTrue(t.getName().startsWith("scsi-lun0-io-"), t.getName());
            Thread[] inquiryThread = new Thread[1];
            h.target.execute(new ScsiRequest(0, cdb(0x12, 0, 0, 0, 96, 0), 96, null, Harness.NEXUS_A), r -> {
                r.dataIn().release();
                inquiryThread[0] = Thread.currentThread();
            });
            assertSame(caller, inquiryThread[0], "INQUIRY completes inline");
        }
    }

    @Test
    void fullQueueAnswersTaskSetFullAndReleasesDataOut() throws Exception {
        MemoryVolume v = new MemoryVolume(512, 1 << 20);
        CountDownLatch gate = new CountDownLatch(1);
        v.readHook = () -> {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        LunConfig c = new LunConfig(0, v, 512, "q", "1", "SNQ", true, 1, 1);
        BlockScsiTarget t = new BlockScsiTarget(Harness.TARGET, Harness.MAX_DATA_OUT, List.of(c));
        try {
            CompletableFuture<ScsiResponse> running = new CompletableFuture<>();
            CompletableFuture<ScsiResponse> queued = new CompletableFuture<>();
            t.execute(new ScsiRequest(0, Harness.read10(0, 1, 0), 512, null, Harness.NEXUS_A), running::complete);
            // The first task goes straight to the only worker (ThreadPoolExecutor never queues the
            // task that starts a core thread); the second fills the one queue slot.
            t.execute(new ScsiRequest(0, Harness.read10(0, 1, 0), 512, null, Harness.NEXUS_A), queued::complete);
            ByteBuf out = Unpooled.buffer(512).writeZero(512);
            ScsiResponse[] full = new ScsiResponse[1];
            t.execute(new ScsiRequest(0, Harness.write10(0, 1, 0), 512, out, Harness.NEXUS_A), r -> full[0] = r);
            assertNotNull(full[0], "answered inline");
            assertEquals(0x28, full[0].status(), "TASK SET FULL");
            assertEquals(0, out.refCnt());
            gate.countDown();
            running.get(10, TimeUnit.SECONDS).dataIn().release();
            queued.get(10, TimeUnit.SECONDS).dataIn().release();
        } finally {
            gate.countDown();
            t.close();
        }
    }

    @Test
    void configurationIsChecked() {
        MemoryVolume v4k = new MemoryVolume(4096, 1 << 20);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LunConfig(0, v4k, 512, "p", "1", "S", true, 1, 1));
        assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
        MemoryVolume v512 = new MemoryVolume(512, 1 << 20);
        new LunConfig(0, v512, 4096, "p", "1", "S", true, 1, 1); // 4096 over 512 is fine
        assertThrows(IllegalArgumentException.class, () -> new LunConfig(0, v512, 1024, "p", "1", "S", true, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LunConfig(0, v512, 512, "product-id-too-long", "1", "S", true, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LunConfig(0, v512, 512, "p", "1", "S N", true, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LunConfig(16384, v512, 512, "p", "1", "S", true, 1, 1));
        LunConfig c = LunConfig.of(1, v512, "S1", true);
        assertThrows(IllegalArgumentException.class,
                () -> new BlockScsiTarget("iqn.x", 65536, List.of(c, LunConfig.of(1, v512, "S2", true))));
        assertThrows(IllegalArgumentException.class, () -> new BlockScsiTarget("iqn.x", 4096, List.of(c)));
    }

    @Test
    void fourKiBLunOverA512ByteVolume() {
        MemoryVolume v = new MemoryVolume(512, 1 << 20);
        LunConfig c = new LunConfig(0, v, 4096, "p", "1", "S4K", true, 2, 16);
        BlockScsiTarget t = new BlockScsiTarget(Harness.TARGET, Harness.MAX_DATA_OUT, List.of(c));
        try {
            CompletableFuture<ScsiResponse> f = new CompletableFuture<>();
            byte[] data = Harness.pattern(4096, 9);
            t.execute(new ScsiRequest(0, Harness.write10(3, 1, 0), 4096, Unpooled.wrappedBuffer(data), Harness.NEXUS_A),
                    f::complete);
            assertEquals(0, f.join().status());
            assertEquals(new MemoryVolume.WriteCall(3 * 4096, 4096, false), v.writes().get(0));
            CompletableFuture<ScsiResponse> cap = new CompletableFuture<>();
            t.execute(new ScsiRequest(0, cdb(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0), 8, null, Harness.NEXUS_A), cap::complete);
            ByteBuf d = cap.join().dataIn();
            assertEquals((1 << 20) / 4096 - 1, d.getInt(0));
            assertEquals(4096, d.getInt(4));
            d.release();
        } finally {
            t.close();
        }
    }
}

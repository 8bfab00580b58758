package io.pmtarget.target.scsi;

import static io.pmtarget.target.scsi.Harness.cdb;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    void readAndWriteRunInlineWhenTheVolumeTakesThemWithoutWaitingFuaNever() throws Exception {
        MemoryVolume v = new MemoryVolume(512, 1 << 20);
        v.inlineCapable = true;
        LunConfig c = new LunConfig(0, v, 512, "q", "1", "SNI", true, 1, 4);
        BlockScsiTarget t = new BlockScsiTarget(Harness.TARGET, Harness.MAX_DATA_OUT, List.of(c));
        try {
            Thread caller = Thread.currentThread();
            byte[] data = Harness.pattern(1024, 7);
            ByteBuf out = Unpooled.wrappedBuffer(data.clone());
            Thread[] writeThread = new Thread[1];
            ScsiResponse[] written = new ScsiResponse[1];
            t.execute(new ScsiRequest(0, Harness.write10(8, 2, 0), 1024, out, Harness.NEXUS_A), r -> {
                written[0] = r;
                writeThread[0] = Thread.currentThread();
            });
            assertSame(caller, writeThread[0], "a write the cache takes at once completes inline");
            assertEquals(0, written[0].status());
            assertEquals(0, out.refCnt(), "the data-out buffer is released once");
            assertEquals(List.of(new MemoryVolume.WriteCall(8 * 512, 1024, false)), v.writes());

            ScsiResponse[] read = new ScsiResponse[1];
            Thread[] readThread = new Thread[1];
            t.execute(new ScsiRequest(0, Harness.read10(8, 2, 0), 1024, null, Harness.NEXUS_A), r -> {
                read[0] = r;
                readThread[0] = Thread.currentThread();
            });
            assertSame(caller, readThread[0]);
            byte[] got = new byte[1024];
            read[0].dataIn().readBytes(got);
            read[0].dataIn().release();
            assertArrayEquals(data, got);
            assertEquals(1, v.inlineReads);
            assertEquals(1, v.inlineWrites);

            // FUA commits inline when no other commit runs...
            Thread[] inlineFuaThread = new Thread[1];
            t.execute(new ScsiRequest(0, Harness.write10(9, 1, 0x08), 512, Unpooled.buffer(512).writeZero(512),
                    Harness.NEXUS_A), r -> inlineFuaThread[0] = Thread.currentThread());
            assertSame(caller, inlineFuaThread[0]);
            assertEquals(new MemoryVolume.WriteCall(9 * 512, 512, true), v.writes().get(1));
            // ...and SYNCHRONIZE CACHE too.
            ScsiResponse[] synced = new ScsiResponse[1];
            t.execute(new ScsiRequest(0, cdb(0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0, null, Harness.NEXUS_A),
                    r -> synced[0] = r);
            assertNotNull(synced[0], "answered inline");
            assertEquals(0, synced[0].status());
            assertEquals(1, v.flushes());
            // When the commit would wait for another one in flight, FUA goes to the executor.
            v.inlineFua = false;
            CompletableFuture<Thread> fuaThread = new CompletableFuture<>();
            t.execute(new ScsiRequest(0, Harness.write10(8, 1, 0x08), 512, Unpooled.buffer(512).writeZero(512),
                    Harness.NEXUS_A), r -> fuaThread.complete(Thread.currentThread()));
            assertTrue(fuaThread.get(10, TimeUnit.SECONDS).getName().startsWith("scsi-lun0-io-"));
            assertEquals(new MemoryVolume.WriteCall(8 * 512, 512, true), v.writes().get(2));

            // An out-of-range LBA is answered inline with its sense, before any volume call.
            ScsiResponse[] bad = new ScsiResponse[1];
            t.execute(new ScsiRequest(0, Harness.read10(4096, 1, 0), 512, null, Harness.NEXUS_A), r -> bad[0] = r);
            assertNotNull(bad[0]);
            assertEquals(0x02, bad[0].status(), "CHECK CONDITION");
            assertEquals(0x21, bad[0].sense()[12] & 0xFF, "LOGICAL BLOCK ADDRESS OUT OF RANGE");
        } finally {
            t.close();
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

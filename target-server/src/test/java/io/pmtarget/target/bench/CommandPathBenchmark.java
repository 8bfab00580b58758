package io.pmtarget.target.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import io.pmtarget.engine.volume.Volume;
import io.pmtarget.engine.volume.VolumeSpec;
import io.pmtarget.engine.volume.Volumes;
import io.pmtarget.target.pdu.Lun;
import io.pmtarget.target.pdu.Opcode;
import io.pmtarget.target.pdu.Pdu;
import io.pmtarget.target.pdu.PduDecoder;
import io.pmtarget.target.pdu.PduEncoder;
import io.pmtarget.target.scsi.BlockScsiTarget;
import io.pmtarget.target.scsi.ItNexus;
import io.pmtarget.target.scsi.LunConfig;
import io.pmtarget.target.session.FullFeatureHandler;
import io.pmtarget.target.session.SessionHandover;
import io.pmtarget.target.session.SessionLimits;
import io.pmtarget.target.session.SessionParams;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The user-space cost of one iSCSI command through our whole path, without sockets: the bytes of a SCSI
 * Command PDU go into the connection's real pipeline (PduDecoder, PduEncoder, FullFeatureHandler over a
 * BlockScsiTarget and a cache volume on {@code dir}) on an EmbeddedChannel, and the encoded response comes
 * out. What a socket adds (system calls, wake-ups) is measured side by side with tgtd (bench/side-by-side.sh);
 * this is the part of the event loop's user time that is ours and Netty's (issue 6: where the CPU goes).
 *
 * <p>Each command reuses one request buffer (a retained duplicate, patched with the next ITT, CmdSN,
 * ExpStatSN and LBA): the socket read that fills it in the server is kernel time. Blocks cycle over a span
 * that stays well inside the cache, so reads hit and writes complete inline. Every command must produce
 * exactly one GOOD status; the trial fails otherwise.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CommandPathBenchmark {

    static final int BLOCK_BYTES = 4096;
    static final long CACHE_BYTES = 64L << 20;
    /** 4096 blocks = 25 % of the cache, below the writeback high watermark. */
    static final int SPAN_BLOCKS = 4096;
    static final int FIRST_CMD_SN = 1;
    static final int FIRST_STAT_SN = 1;
    static final int STATUS_GOOD = 0;
    static final int BHS_BYTES = 48;

    @Param({"/dev/shm"})
    public String dir;

    private Volume volume;
    private Path cache;
    private Path backing;
    private EmbeddedChannel channel;
    private ByteBuf readRequest;
    private ByteBuf writeRequest;
    private int itt;
    private int cmdSn = FIRST_CMD_SN;
    private int block;
    private long commands;
    private long goodResponses;
    /** Bytes of the current PDU's data segment (with padding) still to skip in the outbound stream. */
    private int segmentBytesLeft;
    private long otherResponses;

    @Setup(Level.Trial)
    public void open() throws Exception {
        // As `pmtarget serve` runs (PmtargetCommand): Netty's sampling leak detector off unless asked for.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        String tag = "pmtarget-cbench-" + ProcessHandle.current().pid();
        cache = Path.of(dir, tag + ".cache");
        backing = Path.of(dir, tag + ".img");
        Files.deleteIfExists(cache);
        Files.deleteIfExists(backing);
        volume = Volumes.open(new VolumeSpec("bench", cache, CACHE_BYTES, backing, 256L << 20, BLOCK_BYTES,
                "auto", Map.of()));
        ByteBuffer zeros = ByteBuffer.allocateDirect(BLOCK_BYTES);
        for (int i = 0; i < SPAN_BLOCKS; i++) {
            volume.write((long) i * BLOCK_BYTES, zeros.clear(), false);
        }
        volume.flush();

        BlockScsiTarget target = new BlockScsiTarget("iqn.2026-12.io.pmtarget:bench", 1 << 20,
                List.of(new LunConfig(0, volume, BLOCK_BYTES, "bench", "0", "BENCH0", false, 2, 64)));
        // What a login with open-iscsi's defaults and ours negotiates: immediate data, no digests.
        SessionParams params = new SessionParams(262_144, 262_144, 1 << 20, 262_144, false, true, 1, false,
                false);
        ItNexus nexus = new ItNexus("iqn.2026-12.io.pmtarget:initiator", 0x23d000000001L,
                "iqn.2026-12.io.pmtarget:bench", 1);
        PduDecoder decoder = new PduDecoder();
        decoder.setMaxRecvDataSegmentLengthBytes(params.targetMaxRecvDataSegmentLengthBytes());
        channel = new EmbeddedChannel(decoder, new PduEncoder(),
                new FullFeatureHandler(target, new SessionHandover(params, nexus, 1, 0, FIRST_CMD_SN, FIRST_STAT_SN,
                        false), SessionLimits.defaults(), null));

        readRequest = encode(command(false));
        writeRequest = encode(command(true).data(PooledByteBufAllocator.DEFAULT.directBuffer(BLOCK_BYTES)
                .writeZero(BLOCK_BYTES)));
        // The first command of a new I_T nexus reports the power-on unit attention: take it out of the way.
        send(readRequest);
        commands = 0;
        goodResponses = 0;
        otherResponses = 0;
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        try {
            if (goodResponses != commands || otherResponses != 0) {
                throw new IllegalStateException(commands + " commands, " + goodResponses + " GOOD responses, "
                        + otherResponses + " other responses: the benchmark did not measure what it says");
            }
        } finally {
            channel.finishAndReleaseAll();
            readRequest.release();
            writeRequest.release();
            volume.close();
            Files.deleteIfExists(cache);
            Files.deleteIfExists(backing);
        }
    }

    /** READ(16) of one 4 KiB block that is in the cache: Data-In with the status (phase collapse). */
    @Benchmark
    public void read4k() {
        send(readRequest);
    }

    /** WRITE(16) of one 4 KiB block, the data immediate: the write into the cache, then SCSI Response. */
    @Benchmark
    public void write4k() {
        send(writeRequest);
    }

    private static Pdu command(boolean write) {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) (write ? 0x8A : 0x88);
        cdb[13] = 1; // one block
        Pdu pdu = Pdu.create(Opcode.SCSI_COMMAND).finalFlag(true).itt(0).lunField(Lun.encode(0))
                .expectedDataTransferLength(BLOCK_BYTES).cmdSn(0).expStatSn(0).cdbField(cdb);
        return write ? pdu.writeFlag(true) : pdu.readFlag(true);
    }

    /** The PDU as the initiator sends it, in one contiguous direct buffer. */
    private static ByteBuf encode(Pdu pdu) {
        EmbeddedChannel encoder = new EmbeddedChannel(new PduEncoder());
        encoder.writeOutbound(pdu);
        ByteBuf encoded = encoder.readOutbound();
        ByteBuf flat = PooledByteBufAllocator.DEFAULT.directBuffer(encoded.readableBytes());
        flat.writeBytes(encoded);
        encoded.release();
        encoder.finishAndReleaseAll();
        return flat;
    }

    private void send(ByteBuf request) {
        // BHS fields (RFC 7143 section 11.3): ITT at 16, CmdSN at 24, ExpStatSN at 28, CDB at 32 (LBA at 34).
        request.setInt(16, ++itt);
        // One status per command, all of them read: acknowledge every StatSN sent so far.
        request.setInt(28, FIRST_STAT_SN + (cmdSn - FIRST_CMD_SN));
        request.setInt(24, cmdSn++);
        block = (block + 1) % SPAN_BLOCKS;
        request.setLong(34, block);
        commands++;
        channel.writeInbound(request.retainedDuplicate());
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ByteBuf buffer = (ByteBuf) out;
            countStatuses(buffer);
            buffer.release();
        }
    }

    /**
     * The encoder writes a PDU as one buffer or, with a large data segment, as header, payload and trailer
     * buffers: walk the byte stream, count each header's status and skip its data segment (no digests here).
     */
    private void countStatuses(ByteBuf buffer) {
        int index = buffer.readerIndex();
        int end = buffer.writerIndex();
        while (index < end) {
            if (segmentBytesLeft > 0) {
                int skipped = Math.min(segmentBytesLeft, end - index);
                segmentBytesLeft -= skipped;
                index += skipped;
                continue;
            }
            if (end - index < BHS_BYTES) {
                throw new IllegalStateException("a PDU header split across buffers: the walk assumes it is not");
            }
            countStatus(buffer, index);
            int dataBytes = buffer.getUnsignedMedium(index + 5);
            segmentBytesLeft = (dataBytes + 3) & ~3;
            index += BHS_BYTES;
        }
    }

    /**
     * The header at {@code bhs}: a SCSI Response, or a Data-In with the S bit, has its status in byte 3. R2Ts
     * etc. count as other.
     */
    private void countStatus(ByteBuf buffer, int bhs) {
        int opcode = buffer.getByte(bhs) & 0x3F;
        boolean statusDataIn = opcode == 0x25 && (buffer.getByte(bhs + 1) & 0x01) != 0;
        if ((opcode == 0x21 || statusDataIn) && buffer.getByte(bhs + 3) == STATUS_GOOD) {
            goodResponses++;
        } else {
            otherResponses++;
        }
    }
}

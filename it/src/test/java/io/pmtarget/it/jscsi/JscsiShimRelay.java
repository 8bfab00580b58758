package io.pmtarget.it.jscsi;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A one-connection relay on 127.0.0.1 between jSCSI's initiator and tgtd that compensates for
 * two jSCSI 2.2 defects, so the data path can be proven against the reference target at all:
 * <ol>
 *   <li><b>LUN:</b> jSCSI never sets the LUN field; every SCSI Command addresses LUN 0, which in
 *       tgtd is a controller without a medium. The relay rewrites LUN 0 to {@code targetLun}
 *       (SAM-5 4.7.4 peripheral addressing) in SCSI Command PDUs (RFC 7143 11.3).</li>
 *   <li><b>UNIT ATTENTION:</b> tgtd reports UNIT ATTENTION 29h/00h (POWER ON, RESET...) on the
 *       first command of every new I_T nexus (SAM-5 5.14). jSCSI treats any non-GOOD status as
 *       fatal and never retries, and its first command (READ CAPACITY(10) inside
 *       {@code createSession}) is where the UA lands: no session can ever be created. Before
 *       jSCSI's first SCSI Command the relay sends one TEST UNIT READY of its own with jSCSI's
 *       CmdSN, swallows the answer, and from then on shifts the numbering by one: CmdSN and
 *       ExpStatSN +1 towards the target; StatSN, ExpCmdSN, MaxCmdSN -1 towards jSCSI
 *       (RFC 7143 4.2.2.1, 4.2.2.2).</li>
 * </ol>
 * Frames are cut from the BHS (RFC 7143 11.2.1), so HeaderDigest and DataDigest must be None (a
 * changed header would need a new digest). Data segments are bounded by
 * {@link #MAX_DATA_SEGMENT_BYTES}. Not used against our server: its volume is LUN 0 and jSCSI
 * talks to it directly, unshimmed.
 */
final class JscsiShimRelay implements AutoCloseable {

    private static final int BHS_BYTES = 48;
    private static final int OPCODE_MASK = 0x3f;
    private static final int SCSI_COMMAND = 0x01;
    private static final int LOGIN_REQUEST = 0x03;
    private static final int DATA_OUT = 0x05;
    private static final int SCSI_RESPONSE = 0x21;
    private static final int DATA_IN = 0x25;
    private static final int LOGIN_RESPONSE = 0x23;
    private static final int LUN_OFFSET = 8;
    private static final int ITT_OFFSET = 16;
    /** CmdSN (requests) / StatSN (responses), RFC 7143 11.3, 11.4. */
    private static final int SN1_OFFSET = 24;
    /** ExpStatSN (requests) / ExpCmdSN (responses). */
    private static final int SN2_OFFSET = 28;
    /** MaxCmdSN (responses). */
    private static final int SN3_OFFSET = 32;
    /** Never used by jSCSI, whose task tags count up from 1. */
    private static final int TUR_ITT = 0x7ead_0001;
    private static final int SENSE_KEY_UNIT_ATTENTION = 0x6;
    /** 16 MiB: far above the 8 KiB MaxRecvDataSegmentLength both sides declare here. */
    private static final int MAX_DATA_SEGMENT_BYTES = 1 << 24;
    private static final long TUR_TIMEOUT_MS = 10_000;

    private final ServerSocket server;
    private final int targetPort;
    private final int targetLun;
    private final AtomicInteger rewrittenCommands = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger unitAttentionsAbsorbed = new AtomicInteger();
    private final AtomicReference<String> lastTurOutcome = new AtomicReference<>("no TEST UNIT READY sent");
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread acceptor;
    private volatile Conn current;

    JscsiShimRelay(int targetPort, int targetLun) throws IOException {
        if (targetLun < 0 || targetLun > 255) {
            throw new IllegalArgumentException("single-level peripheral LUN 0..255 only: " + targetLun);
        }
        this.targetPort = targetPort;
        this.targetLun = targetLun;
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::serveAll, "jscsi-shim-" + server.getLocalPort());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int rewrittenCommands() {
        return rewrittenCommands.get();
    }

    /** Connections (jSCSI sessions) relayed so far; they are served one after the other. */
    int connections() {
        return connections.get();
    }

    /** Injected TEST UNIT READYs answered with CHECK CONDITION, sense key UNIT ATTENTION. */
    int unitAttentionsAbsorbed() {
        return unitAttentionsAbsorbed.get();
    }

    String lastTurOutcome() {
        return lastTurOutcome.get();
    }

    /** The first error a relay thread hit, or null (a clean EOF is not an error). */
    Throwable failure() {
        return failure.get();
    }

    private void serveAll() {
        while (!server.isClosed()) {
            try (Socket c = server.accept();
                 Socket u = new Socket()) {
                u.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                c.setTcpNoDelay(true);
                u.setTcpNoDelay(true);
                connections.incrementAndGet();
                Conn conn = new Conn(c, u);
                current = conn;
                conn.run();
            } catch (IOException e) {
                fail(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One relayed connection: its own sequence-number shift and injected TEST UNIT READY. */
    private final class Conn {
        private final Socket client;
        private final Socket upstream;
        private final CountDownLatch turAnswered = new CountDownLatch(1);
        /** 0 until the injected TEST UNIT READY was sent (requests) / answered (responses), then 1. */
        private volatile int requestShift;
        private volatile int responseShift;

        Conn(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void run() throws InterruptedException {
            Thread back = new Thread(() -> relay(upstream, client, false), "jscsi-shim-t2i");
            back.setDaemon(true);
            back.start();
            relay(client, upstream, true);
            back.join();
        }

        void close() {
            closeQuietly(client);
            closeQuietly(upstream);
        }

        private void relay(Socket from, Socket to, boolean towardsTarget) {
            try {
                DataInputStream in = new DataInputStream(from.getInputStream());
                OutputStream out = to.getOutputStream();
                while (true) {
                    byte[] pdu = readPdu(in);
                    if (towardsTarget ? request(pdu, out) : response(pdu)) {
                        out.write(pdu);
                        out.flush();
                    }
                }
            } catch (EOFException e) {
                // One side closed (after Logout): the normal end.
            } catch (IOException e) {
                if (!from.isClosed()) { // closed by the other direction's end: not an error
                    fail(e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(to);
            }
        }

        private static byte[] readPdu(DataInputStream in) throws IOException {
            byte[] bhs = new byte[BHS_BYTES];
            in.readFully(bhs);
            int ahsBytes = (bhs[4] & 0xff) * 4;
            int dataBytes = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
            if (dataBytes > MAX_DATA_SEGMENT_BYTES) {
                throw new IOException("data segment of " + dataBytes + " bytes exceeds the relay's bound");
            }
            byte[] pdu = new byte[BHS_BYTES + ahsBytes + ((dataBytes + 3) & ~3)];
            System.arraycopy(bhs, 0, pdu, 0, BHS_BYTES);
            in.readFully(pdu, BHS_BYTES, pdu.length - BHS_BYTES);
            return pdu;
        }

        /** Initiator -> target. Returns whether to forward the PDU. */
        private boolean request(byte[] pdu, OutputStream out) throws IOException, InterruptedException {
            ByteBuffer b = ByteBuffer.wrap(pdu);
            int opcode = pdu[0] & OPCODE_MASK;
            if (opcode == SCSI_COMMAND && b.getLong(LUN_OFFSET) == 0) {
                b.putShort(LUN_OFFSET, (short) targetLun);
                rewrittenCommands.incrementAndGet();
            }
            if (opcode == SCSI_COMMAND && requestShift == 0) {
                out.write(testUnitReady(b.getInt(SN1_OFFSET), b.getInt(SN2_OFFSET)));
                out.flush();
                if (!turAnswered.await(TUR_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    throw new IOException("no answer to the injected TEST UNIT READY in " + TUR_TIMEOUT_MS + " ms");
                }
                requestShift = 1;
            }
            if (opcode != LOGIN_REQUEST && requestShift != 0) {
                if (opcode != DATA_OUT) {
                    b.putInt(SN1_OFFSET, b.getInt(SN1_OFFSET) + requestShift);
                }
                b.putInt(SN2_OFFSET, b.getInt(SN2_OFFSET) + requestShift);
            }
            return true;
        }

        private byte[] testUnitReady(int cmdSn, int expStatSn) {
            ByteBuffer b = ByteBuffer.allocate(BHS_BYTES);
            b.put(0, (byte) SCSI_COMMAND);
            b.put(1, (byte) 0x81); // F=1, R=W=0, ATTR=SIMPLE (RFC 7143 11.3.1)
            b.putShort(LUN_OFFSET, (short) targetLun);
            b.putInt(ITT_OFFSET, TUR_ITT);
            b.putInt(20, 0); // Expected Data Transfer Length
            b.putInt(SN1_OFFSET, cmdSn);
            b.putInt(SN2_OFFSET, expStatSn);
            // CDB at 32..47 stays all zero: TEST UNIT READY (SPC-5 6.47).
            return b.array();
        }

        /** Target -> initiator. Returns whether to forward the PDU. */
        private boolean response(byte[] pdu) {
            ByteBuffer b = ByteBuffer.wrap(pdu);
            int opcode = pdu[0] & OPCODE_MASK;
            if (b.getInt(ITT_OFFSET) == TUR_ITT) {
                if (opcode == SCSI_RESPONSE) {
                    recordTurResponse(b);
                    responseShift = 1;
                    turAnswered.countDown();
                }
                return false;
            }
            if (opcode != LOGIN_RESPONSE && responseShift != 0) {
                boolean statSnValid = opcode != DATA_IN || (pdu[1] & 0x01) != 0; // Data-In: S bit
                if (statSnValid) {
                    b.putInt(SN1_OFFSET, b.getInt(SN1_OFFSET) - responseShift);
                }
                b.putInt(SN2_OFFSET, b.getInt(SN2_OFFSET) - responseShift);
                b.putInt(SN3_OFFSET, b.getInt(SN3_OFFSET) - responseShift);
            }
            return true;
        }

        /** SCSI Response: status at byte 3; sense data = 2-byte length + fixed-format sense (SPC-5 4.4.3). */
        private void recordTurResponse(ByteBuffer b) {
            int status = b.get(3) & 0xff;
            int senseKey = -1;
            int asc = -1;
            int dataBytes = b.getInt(4) & 0xffffff;
            if (dataBytes >= 2 + 13) {
                senseKey = b.get(BHS_BYTES + 2 + 2) & 0x0f;
                asc = b.get(BHS_BYTES + 2 + 12) & 0xff;
            }
            if (status == 0x02 && senseKey == SENSE_KEY_UNIT_ATTENTION) {
                unitAttentionsAbsorbed.incrementAndGet();
            }
            lastTurOutcome.set("status=0x" + Integer.toHexString(status) + " senseKey=0x"
                    + Integer.toHexString(senseKey) + " asc=0x" + Integer.toHexString(asc));
        }

    }

    private void fail(Throwable e) {
        if (!server.isClosed()) {
            failure.compareAndSet(null, e);
        }
    }

    static void closeQuietly(Socket s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException e) {
            // Closing on the way out: nothing left to do with the error.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        Conn c = current;
        if (c != null) {
            c.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.pmtarget.it.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately minimal iSCSI initiator over a raw socket, for fault injection that no real
 * initiator will do: garbage bytes, a PDU cut off mid-segment, a connection dropped while the
 * target waits for Data-Out. It logs in without authentication straight into the operational
 * stage (RFC 7143 6.3: CSG=1 is allowed when no security negotiation is required) and can send a
 * WRITE(10) header. It is not a general client: no digests, one connection, no error recovery.
 */
public final class RawIscsiConnection implements AutoCloseable {

    public static final int BHS_BYTES = 48;
    private static final int OP_LOGIN_REQUEST = 0x03;
    private static final int OP_LOGIN_RESPONSE = 0x23;
    private static final int OP_SCSI_COMMAND = 0x01;
    private static final int IMMEDIATE = 0x40;
    private static final int LOGIN_ROUNDS_MAX = 4;
    private static final int SEGMENT_BYTES_MAX = 64 * 1024;
    private static final int SO_TIMEOUT_MS = 10_000;

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private int cmdSn = 1;
    private int expStatSn;
    private int itt = 1;

    public RawIscsiConnection(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), SO_TIMEOUT_MS);
        socket.setSoTimeout(SO_TIMEOUT_MS);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads until EOF or timeout; true if the target closed the connection (EOF or reset). */
    public boolean awaitClosedByPeer() {
        byte[] sink = new byte[4096];
        try {
            InputStream raw = socket.getInputStream();
            int n;
            long bytesMax = 1 << 20;
            long total = 0;
            while ((n = raw.read(sink)) >= 0) {
                total += n;
                if (total > bytesMax) {
                    return false;
                }
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    /**
     * Logs in to {@code targetIqn} as a Normal session. Returns the login status (class << 8 |
     * detail, RFC 7143 11.13.5): 0 on success.
     */
    public int login(String initiatorIqn, String targetIqn) throws IOException {
        String keys = "InitiatorName=" + initiatorIqn + "\0TargetName=" + targetIqn
                + "\0SessionType=Normal\0HeaderDigest=None\0DataDigest=None\0ImmediateData=Yes\0"
                + "InitialR2T=Yes\0MaxRecvDataSegmentLength=65536\0";
        byte[] data = keys.getBytes(StandardCharsets.US_ASCII);
        for (int round = 0; round < LOGIN_ROUNDS_MAX; round++) {
            ByteBuffer bhs = ByteBuffer.allocate(BHS_BYTES);
            bhs.put(0, (byte) (IMMEDIATE | OP_LOGIN_REQUEST));
            bhs.put(1, (byte) (0x80 | (1 << 2) | 3)); // T=1, CSG=1 (operational), NSG=3 (full feature)
            putSegmentLength(bhs, data.length);
            bhs.put(8, (byte) 0x80).put(12, (byte) 0x12).put(13, (byte) 0x34); // ISID, random format
            bhs.putInt(16, itt);
            bhs.putInt(24, cmdSn);
            bhs.putInt(28, expStatSn);
            sendPdu(bhs.array(), data);
            byte[] resp = readPdu();
            if ((resp[0] & 0x3f) != OP_LOGIN_RESPONSE) {
                throw new IOException("expected Login Response, got opcode 0x" + Integer.toHexString(resp[0] & 0x3f));
            }
            ByteBuffer r = ByteBuffer.wrap(resp);
            expStatSn = r.getInt(24) + 1;
            int status = ((resp[36] & 0xff) << 8) | (resp[37] & 0xff);
            if (status != 0) {
                return status;
            }
            boolean transit = (resp[1] & 0x80) != 0;
            if (transit && (resp[1] & 0x03) == 3) {
                return 0;
            }
            data = new byte[0]; // target wants another round: re-offer the transition
        }
        throw new IOException("login did not reach full feature phase in " + LOGIN_ROUNDS_MAX + " rounds");
    }

    /**
     * Sends a WRITE(10) command PDU for {@code blocks} 512-byte blocks at {@code lba} announcing
     * {@code immediateBytes} of immediate data, but sends only {@code sentBytes} of it. With
     * sentBytes < immediateBytes the PDU is cut off; the caller then closes the connection.
     */
    public void sendTruncatedWrite10(int lun, long lba, int blocks, int immediateBytes, int sentBytes)
            throws IOException {
        if (sentBytes > immediateBytes || lun > 255) {
            throw new IllegalArgumentException("sentBytes " + sentBytes + " > immediateBytes " + immediateBytes
                    + " or lun " + lun + " not single-level");
        }
        ByteBuffer bhs = ByteBuffer.allocate(BHS_BYTES);
        bhs.put(0, (byte) OP_SCSI_COMMAND);
        bhs.put(1, (byte) (0x80 | 0x20 | 0x01)); // F, W, ATTR=SIMPLE
        putSegmentLength(bhs, immediateBytes);
        bhs.put(9, (byte) lun); // SAM single-level LUN (RFC 7143 11.3 / SAM-5 4.7)
        bhs.putInt(16, ++itt);
        bhs.putInt(20, blocks * 512); // Expected Data Transfer Length
        bhs.putInt(24, cmdSn++);
        bhs.putInt(28, expStatSn);
        bhs.put(32, (byte) 0x2a); // WRITE(10)
        bhs.putInt(34, (int) lba);
        bhs.putShort(39, (short) blocks);
        out.write(bhs.array());
        out.write(new byte[sentBytes]);
        out.flush();
    }

    private static void putSegmentLength(ByteBuffer bhs, int length) {
        bhs.put(5, (byte) (length >>> 16)).put(6, (byte) (length >>> 8)).put(7, (byte) length);
    }

    private void sendPdu(byte[] bhs, byte[] data) throws IOException {
        out.write(bhs);
        out.write(data);
        out.write(new byte[(4 - data.length % 4) % 4]); // pad to 4 bytes (RFC 7143 11.2.3)
        out.flush();
    }

    /** Reads one PDU; returns its BHS (the data segment is read and dropped, bounded). */
    private byte[] readPdu() throws IOException {
        byte[] bhs = new byte[BHS_BYTES];
        in.readFully(bhs);
        int ahsBytes = (bhs[4] & 0xff) * 4;
        int dataBytes = ((bhs[5] & 0xff) << 16) | ((bhs[6] & 0xff) << 8) | (bhs[7] & 0xff);
        if (dataBytes > SEGMENT_BYTES_MAX) {
            throw new IOException("target sent a " + dataBytes + " byte segment, over " + SEGMENT_BYTES_MAX);
        }
        in.readFully(new byte[ahsBytes + dataBytes + (4 - dataBytes % 4) % 4]);
        return bhs;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

package io.pmtarget.target.login;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test-only blocking iSCSI front end over plain sockets: just enough PDU framing (no digests, no
 * SCSI) to let a real initiator drive the login and text logic. Not the production adapter.
 */
final class MiniLoginServer implements AutoCloseable {
    private static final int BHS_BYTES = 48;
    private static final int DATA_BYTES_MAX = 65536;

    private final ServerSocket server;
    private final TargetDirectory directory;
    private final SessionRegistry registry;
    private final Thread acceptor;
    final List<NegotiatedSession> sessions = new CopyOnWriteArrayList<>();
    final List<LoginStatus> failures = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();

    MiniLoginServer(TargetDirectory directory, SessionRegistry registry) throws IOException {
        this.directory = directory;
        this.registry = registry;
        this.server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "mini-iscsi-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(10_000);
                serve(new DataInputStream(s.getInputStream()), s.getOutputStream());
            } catch (IOException e) {
                if (!server.isClosed()) {
                    errors.add(e.toString());
                }
            }
        }
    }

    private void serve(DataInputStream in, OutputStream out) throws IOException {
        LoginStateMachine login = new LoginStateMachine(directory, registry, new SecureRandom());
        int statSn = 0x100;
        NegotiatedSession session = null;
        while (session == null) {
            byte[] bhs = new byte[BHS_BYTES];
            in.readFully(bhs);
            byte[] data = readData(in, bhs);
            if ((bhs[0] & 0x3f) != 0x03) {
                errors.add("non-login PDU during login: opcode " + (bhs[0] & 0x3f));
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(bhs);
            long isid = ((long) b.getShort(8) & 0xffff) << 32 | (b.getInt(10) & 0xffffffffL);
            LoginRequest r = new LoginRequest((bhs[1] & 0x80) != 0, (bhs[1] & 0x40) != 0,
                    (bhs[1] >> 2) & 3, bhs[1] & 3, bhs[2] & 0xff, bhs[3] & 0xff, isid,
                    b.getShort(14) & 0xffff, b.getInt(16), b.getShort(20) & 0xffff, b.getInt(24),
                    b.getInt(28), data);
            LoginResult result = login.onLoginRequest(r);
            LoginResponse p = result.response();
            ByteBuffer o = ByteBuffer.allocate(BHS_BYTES);
            o.put(0, (byte) 0x23);
            o.put(1, (byte) ((p.transit() ? 0x80 : 0) | (p.cont() ? 0x40 : 0) | p.csg() << 2 | p.nsg()));
            o.putShort(8, (short) (p.isid() >>> 32));
            o.putInt(10, (int) p.isid());
            o.putShort(14, (short) p.tsih());
            o.putInt(16, p.initiatorTaskTag());
            o.putInt(24, statSn++);
            o.putInt(28, r.cmdSn());
            o.putInt(32, r.cmdSn() + 16);
            o.put(36, (byte) p.status().statusClass());
            o.put(37, (byte) p.status().statusDetail());
            // Record before sending: the initiator may exit as soon as it has the response.
            if (result.outcome() == LoginResult.Outcome.CLOSE) {
                failures.add(p.status());
            } else if (result.session() != null) {
                sessions.add(result.session());
            }
            send(out, o, p.data());
            if (result.outcome() == LoginResult.Outcome.CLOSE) {
                return;
            }
            session = result.session();
        }
        fullFeature(in, out, new TextNegotiation(directory, session), statSn);
    }

    /** Text and Logout only; anything else (a SCSI command) ends the connection. */
    private void fullFeature(DataInputStream in, OutputStream out, TextNegotiation text, int statSn)
            throws IOException {
        while (true) {
            byte[] bhs = new byte[BHS_BYTES];
            in.readFully(bhs);
            byte[] data = readData(in, bhs);
            ByteBuffer b = ByteBuffer.wrap(bhs);
            int opcode = bhs[0] & 0x3f;
            boolean immediate = (bhs[0] & 0x40) != 0;
            int cmdSn = b.getInt(24);
            int expCmdSn = immediate ? cmdSn : cmdSn + 1;
            ByteBuffer o = ByteBuffer.allocate(BHS_BYTES);
            o.putInt(16, b.getInt(16));
            o.putInt(24, statSn++);
            o.putInt(28, expCmdSn);
            o.putInt(32, expCmdSn + 16);
            if (opcode == 0x04) {
                TextResponse t;
                try {
                    t = text.onTextRequest(new TextRequest((bhs[1] & 0x80) != 0, (bhs[1] & 0x40) != 0,
                            b.getInt(16), b.getInt(20), data));
                } catch (TextProtocolException e) {
                    errors.add(e.getMessage());
                    return;
                }
                o.put(0, (byte) 0x24);
                o.put(1, (byte) ((t.fin() ? 0x80 : 0) | (t.cont() ? 0x40 : 0)));
                o.putInt(20, t.targetTransferTag());
                send(out, o, t.data());
            } else if (opcode == 0x06) {
                o.put(0, (byte) 0x26);
                o.put(1, (byte) 0x80);
                send(out, o, new byte[0]);
                return;
            } else {
                return;
            }
        }
    }

    private static byte[] readData(DataInputStream in, byte[] bhs) throws IOException {
        int ahsBytes = (bhs[4] & 0xff) * 4;
        int dataBytes = (bhs[5] & 0xff) << 16 | (bhs[6] & 0xff) << 8 | (bhs[7] & 0xff);
        if (dataBytes > DATA_BYTES_MAX) {
            throw new IOException("data segment of " + dataBytes + " bytes");
        }
        skip(in, ahsBytes);
        byte[] data = new byte[dataBytes];
        in.readFully(data);
        skip(in, (4 - dataBytes % 4) % 4);
        return data;
    }

    private static void skip(InputStream in, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            if (in.read() < 0) {
                throw new IOException("EOF");
            }
        }
    }

    private static void send(OutputStream out, ByteBuffer bhs, byte[] data) throws IOException {
        bhs.put(5, (byte) (data.length >>> 16));
        bhs.put(6, (byte) (data.length >>> 8));
        bhs.put(7, (byte) data.length);
        out.write(bhs.array());
        out.write(data);
        out.write(new byte[(4 - data.length % 4) % 4]);
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

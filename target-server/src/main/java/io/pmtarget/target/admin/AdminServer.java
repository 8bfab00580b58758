package io.pmtarget.target.admin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@link AdminProtocol} on a UNIX domain socket with mode 0600: only the server's user
 * can reach it, and never over the network. One request per connection; a few connections are
 * served at once (flush may block for long), the rest are refused with "error busy".
 */
public final class AdminServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    /** Concurrent admin requests: a flush can take minutes, status must still answer. */
    static final int WORKERS_MAX = 4;
    /** Requests waiting for a worker before new ones are refused. */
    static final int QUEUE_MAX = 16;

    private final Path socketPath;
    private final AdminHandler handler;
    private final ServerSocketChannel serverChannel;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService watchdog;
    private final Thread acceptThread;

    private AdminServer(Path socketPath, AdminHandler handler, ServerSocketChannel serverChannel) {
        this.socketPath = socketPath;
        this.handler = handler;
        this.serverChannel = serverChannel;
        this.workers = new ThreadPoolExecutor(WORKERS_MAX, WORKERS_MAX, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE_MAX), daemon("pmtarget-admin-worker"));
        this.workers.allowCoreThreadTimeOut(true);
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("pmtarget-admin-watchdog"));
        this.acceptThread = daemon("pmtarget-admin-accept").newThread(this::acceptLoop);
    }

    /**
     * Binds the socket (replacing a stale socket file no server answers on) and starts serving.
     *
     * @throws IOException when another server answers on the socket or binding fails
     */
    public static AdminServer start(Path socketPath, AdminHandler handler) throws IOException {
        removeStaleSocket(socketPath);
        // Bound, listening and 0600 under a temporary name first, then linked to the real name: bind creates
        // the file before listen, so a client that connects as soon as the file appears (a script, a test)
        // could be refused. A hard link (unlike a rename) fails if another server took the name meanwhile.
        Path bindPath = socketPath.resolveSibling(socketPath.getFileName() + ".new");
        Files.deleteIfExists(bindPath);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(bindPath));
            Files.setPosixFilePermissions(bindPath, PosixFilePermissions.fromString("rw-------"));
            linkOrRename(bindPath, socketPath);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        } finally {
            Files.deleteIfExists(bindPath);
        }
        AdminServer server = new AdminServer(socketPath, handler, channel);
        server.acceptThread.start();
        return server;
    }

    /** A file system without hard links gets a rename (which would replace a name taken meanwhile). */
    private static void linkOrRename(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IOException("admin socket " + to + " appeared while this server was binding", e);
        } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
            Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private static void removeStaleSocket(Path socketPath) throws IOException {
        if (!Files.exists(socketPath)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(socketPath));
            throw new IOException("admin socket " + socketPath + " is answered by a running server");
        } catch (java.net.ConnectException e) {
            LOG.info("removing stale admin socket {}", socketPath);
            Files.delete(socketPath);
        }
    }

    public Path socketPath() {
        return socketPath;
    }

    private void acceptLoop() {
        while (serverChannel.isOpen()) {
            SocketChannel client;
            try {
                client = serverChannel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("admin accept failed: {}", e.toString());
                continue;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                reply(client, AdminResponse.error("busy: " + WORKERS_MAX + " admin requests running"));
                closeQuietly(client);
            }
        }
    }

    private void serve(SocketChannel client) {
        ScheduledFuture<?> timeout = watchdog.schedule(() -> closeQuietly(client),
                AdminProtocol.REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        try (client) {
            ByteBuffer buffer = ByteBuffer.allocate(AdminProtocol.REQUEST_LINE_MAX_BYTES + 1);
            buffer.flip();
            String line;
            try {
                line = AdminProtocol.readLine(client, buffer, AdminProtocol.REQUEST_LINE_MAX_BYTES);
            } catch (IOException e) {
                reply(client, AdminResponse.error("bad request: " + e.getMessage()));
                return;
            } finally {
                timeout.cancel(false);
            }
            if (line == null) {
                return;
            }
            reply(client, dispatch(line));
        } catch (IOException e) {
            LOG.debug("admin connection: {}", e.toString());
        }
    }

    private AdminResponse dispatch(String line) {
        List<String> words = Arrays.stream(line.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
        if (words.isEmpty()) {
            return AdminResponse.error("empty request");
        }
        try {
            return handler.handle(words.get(0), words.subList(1, words.size()));
        } catch (RuntimeException e) {
            LOG.warn("admin command '{}' failed", line, e);
            return AdminResponse.error(words.get(0) + ": " + e);
        }
    }

    private static void reply(SocketChannel client, AdminResponse response) {
        StringBuilder text = new StringBuilder();
        if (response.ok()) {
            text.append(AdminProtocol.OK).append('\n');
            for (Map.Entry<String, String> field : response.fields().entrySet()) {
                text.append(AdminProtocol.sanitize(field.getKey())).append('=')
                        .append(AdminProtocol.sanitize(field.getValue())).append('\n');
            }
            text.append('\n');
        } else {
            text.append(AdminProtocol.ERROR).append(' ').append(AdminProtocol.sanitize(response.errorMessage()))
                    .append('\n');
        }
        ByteBuffer out = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
        try {
            while (out.hasRemaining()) {
                client.write(out);
            }
        } catch (IOException e) {
            LOG.debug("admin reply not delivered: {}", e.toString());
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing admin connection: {}", e.toString());
        }
    }

    /** Stops accepting, interrupts running requests, removes the socket file. */
    @Override
    public void close() throws IOException {
        serverChannel.close();
        workers.shutdownNow();
        watchdog.shutdownNow();
        try {
            acceptThread.join(AdminProtocol.REQUEST_TIMEOUT_MS);
            workers.awaitTermination(AdminProtocol.REQUEST_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socketPath);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}

package io.pmtarget.target.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.pmtarget.engine.volume.Volumes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Reads and validates a pmtarget config (HOCON) into a {@link ServerConfig}. Reading touches no
 * file but the config itself: a bad config must leave the data directory as it was.
 *
 * <p>Every error reads {@code file:line: key: problem}; all errors of a file are reported together.
 * HOCON merges two blocks of the same name; we report that for volumes, targets and LUNs. A scalar
 * key given twice follows HOCON (the later one wins).
 */
public final class ConfigLoader {

    /** The embedded default config, a copy of conf/pmtarget.conf. */
    public static final String DEFAULT_RESOURCE = "pmtarget.conf";

    static final String SERVER = "server";
    static final String VOLUMES = "volumes";
    static final String TARGETS = "targets";
    static final String DATA_DIR = "data-dir";
    static final String ADMIN_SOCKET = "admin-socket";
    static final String WORKER_THREADS = "worker-threads";
    static final String SHUTDOWN_TIMEOUT_MS = "shutdown-timeout-ms";
    static final String INLINE_IO = "inline-io";
    static final String DATA_DIR_DEFAULT = "./data";
    static final String ADMIN_SOCKET_DEFAULT = "admin.sock";
    /** Linux sockaddr_un.sun_path holds 108 bytes including the terminating NUL. */
    static final int UNIX_SOCKET_PATH_MAX_BYTES = 107;
    /** More event loops than this only adds context switches on any machine we target. */
    static final int WORKER_THREADS_MAX = 256;
    /** A graceful stop that takes longer than this is hung; 10 s covers committing a full cache. */
    static final long SHUTDOWN_TIMEOUT_MS_DEFAULT = 10_000;
    static final long SHUTDOWN_TIMEOUT_MS_MAX = 600_000;

    private final Consumer<Map<String, String>> optionValidator;

    /** Validates dm-writecache options with the engine's {@code Volumes.validateOptions}. */
    public ConfigLoader() {
        this(Volumes::validateOptions);
    }

    /** @param optionValidator throws IllegalArgumentException "key: problem" for bad options */
    public ConfigLoader(Consumer<Map<String, String>> optionValidator) {
        this.optionValidator = optionValidator;
    }

    /**
     * @param dataDirOverride  replaces server.data-dir when not null (the --data-dir option)
     * @param workingDir       what relative paths in the file are relative to
     */
    public ServerConfig load(Path file, Path dataDirOverride, Path workingDir) throws ConfigProblemException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ConfigProblemException(List.of(file + ": cannot read: "
                    + (Files.exists(file) ? "not a readable regular file" : "no such file")));
        }
        Config config;
        try {
            config = ConfigFactory.parseFile(file.toFile(),
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw syntaxError(e, file.toString());
        }
        return parse(config, file.toString(), dataDirOverride, workingDir, file);
    }

    /** The embedded default config ({@value #DEFAULT_RESOURCE}). */
    public ServerConfig loadDefault(Path dataDirOverride, Path workingDir) throws ConfigProblemException {
        Config config;
        try {
            config = ConfigFactory.parseResources(ConfigLoader.class, "/" + DEFAULT_RESOURCE,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false)).resolve();
        } catch (ConfigException e) {
            throw syntaxError(e, DEFAULT_RESOURCE);
        }
        return parse(config, "embedded default (" + DEFAULT_RESOURCE + ")", dataDirOverride, workingDir, null);
    }

    /** Parses HOCON text (tests, tools); {@code sourceName} stands in for the file name in errors. */
    public ServerConfig parseText(String text, String sourceName, Path dataDirOverride, Path workingDir)
            throws ConfigProblemException {
        Config config;
        try {
            config = ConfigFactory.parseString(text, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setOriginDescription(sourceName)).resolve();
        } catch (ConfigException e) {
            throw syntaxError(e, sourceName);
        }
        return parse(config, sourceName, dataDirOverride, workingDir, null);
    }

    private ServerConfig parse(Config config, String source, Path dataDirOverride, Path workingDir,
                               Path permissionCheckFile) throws ConfigProblemException {
        Problems problems = new Problems();
        Node root = new Node(problems, "", config.root());
        root.allowOnly(Set.of(SERVER, VOLUMES, TARGETS));
        ServerSettings server = server(root.child(SERVER), root, dataDirOverride, workingDir);
        Node volumesNode = root.child(VOLUMES);
        Map<String, VolumeConfig> volumes = VolumeReader.read(volumesNode, server.dataDir(), optionValidator);
        Set<String> definedNames = volumesNode == null ? Set.of() : volumesNode.keys();
        Node targetsNode = root.child(TARGETS);
        List<TargetConfig> targets = TargetReader.read(targetsNode, volumes, definedNames);
        if (targetsNode == null || targetsNode.keys().isEmpty()) {
            problems.warning(config.root().origin(), TARGETS, "no targets: the server will serve nothing");
        }
        warnUnused(problems, volumesNode, volumes, targets);
        if (permissionCheckFile != null) {
            warnWorldReadable(problems, permissionCheckFile, targets);
        }
        problems.throwIfAny();
        return new ServerConfig(source, server, volumes, targets, problems.warnings());
    }

    private static ServerSettings server(Node node, Node root, Path dataDirOverride, Path workingDir) {
        Node block = node != null ? node : root;
        if (node != null) {
            node.allowOnly(Set.of(DATA_DIR, ADMIN_SOCKET, WORKER_THREADS, SHUTDOWN_TIMEOUT_MS, INLINE_IO));
        }
        String dataDirText = node == null ? DATA_DIR_DEFAULT : node.string(DATA_DIR, DATA_DIR_DEFAULT);
        Path dataDir = workingDir.toAbsolutePath();
        try {
            dataDir = workingDir.toAbsolutePath().resolve(
                    dataDirOverride != null ? dataDirOverride : Path.of(dataDirText)).normalize();
        } catch (InvalidPathException e) {
            block.error(DATA_DIR, "not a valid path: " + e.getReason());
        }
        String socketText = node == null ? ADMIN_SOCKET_DEFAULT : node.string(ADMIN_SOCKET, ADMIN_SOCKET_DEFAULT);
        Path socket = dataDir.resolve(ADMIN_SOCKET_DEFAULT);
        try {
            socket = dataDir.resolve(socketText).normalize();
        } catch (InvalidPathException e) {
            block.error(ADMIN_SOCKET, "not a valid path: " + e.getReason());
        }
        if (socket.toString().getBytes(StandardCharsets.UTF_8).length > UNIX_SOCKET_PATH_MAX_BYTES) {
            block.error(ADMIN_SOCKET, socket + " is longer than " + UNIX_SOCKET_PATH_MAX_BYTES
                    + " bytes, the limit of a UNIX socket path; use a shorter data-dir or admin-socket");
        }
        long workers = node == null ? 0 : node.integer(WORKER_THREADS, 0, 0, WORKER_THREADS_MAX);
        long shutdownMs = node == null ? SHUTDOWN_TIMEOUT_MS_DEFAULT
                : node.integer(SHUTDOWN_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS_DEFAULT, 0, SHUTDOWN_TIMEOUT_MS_MAX);
        boolean inlineIo = node == null || node.bool(INLINE_IO, true);
        return new ServerSettings(dataDir, socket, (int) workers, shutdownMs, inlineIo);
    }

    private static void warnUnused(Problems problems, Node volumesNode, Map<String, VolumeConfig> volumes,
                                   List<TargetConfig> targets) {
        Set<String> unused = new TreeSet<>(volumes.keySet());
        targets.forEach(t -> t.luns().values().forEach(l -> unused.remove(l.volume())));
        for (String name : unused) {
            problems.warning(volumesNode.originOf(name), volumesNode.pathOf(name),
                    "not used by any LUN (it is still opened, so its cache is recovered and written back)");
        }
    }

    /** ctld's rule: a file holding CHAP secrets must not be readable by every local user. */
    private static void warnWorldReadable(Problems problems, Path file, List<TargetConfig> targets) {
        boolean hasSecrets = targets.stream().anyMatch(t -> t.chap().isPresent() || t.mutualChap().isPresent());
        if (!hasSecrets) {
            return;
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
                problems.warning(file + ": holds CHAP secrets but is readable by every user: chmod 600 " + file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            problems.warning(file + ": holds CHAP secrets; could not check its permissions: " + e.getMessage());
        }
    }

    /** Turns a HOCON syntax error into {@code file:line: syntax: problem}. */
    private static ConfigProblemException syntaxError(ConfigException e, String source) {
        ConfigOrigin origin = e.origin();
        String message = e.getMessage();
        String where = source;
        if (origin != null) {
            where = Problems.location(origin);
            String prefix = origin.description() + ": ";
            if (message.startsWith(prefix)) {
                message = message.substring(prefix.length());
            }
        }
        return new ConfigProblemException(List.of(where + ": syntax: " + message));
    }
}

package io.pmtarget.target.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default config and the shipped examples. */
class DefaultConfigTest {

    /** conf/ relative to the target-server module (surefire runs in the module directory). */
    static final Path CONF = Path.of("..", "conf");

    @TempDir
    Path dir;

    @Test
    void embeddedDefaultMatchesTheDesign() throws Exception {
        ServerConfig config = new ConfigLoader(ConfigFixture.ACCEPT_OPTIONS).loadDefault(null, dir);
        assertEquals(dir.resolve("data"), config.server().dataDir());
        assertEquals(dir.resolve("data/admin.sock"), config.server().adminSocket());
        assertEquals(1, config.volumes().size());
        VolumeConfig volume = config.volumes().values().iterator().next();
        assertEquals(256L << 20, volume.cacheSizeBytes());
        assertEquals(1L << 30, volume.backingSizeBytes());
        assertEquals(4096, volume.blockSizeBytes());
        assertTrue(volume.cacheFile().startsWith(config.server().dataDir()));
        assertTrue(volume.backingFile().startsWith(config.server().dataDir()));
        assertEquals(Map.of(), volume.options(), "the default leaves dm-writecache options to the engine");
        assertEquals(1, config.targets().size());
        TargetConfig target = config.targets().get(0);
        assertEquals("iqn.2026-11.io.pmtarget:disk0", target.iqn());
        assertEquals(List.of(new Portal("127.0.0.1", 3260)), target.portals());
        assertTrue(target.allowAnyInitiator());
        assertTrue(target.chap().isEmpty());
        assertEquals(List.of(0), List.copyOf(target.luns().keySet()));
        assertEquals(volume.name(), target.luns().get(0).volume());
        assertEquals(NegotiationReader.defaults(), target.negotiation(),
                "the documented values in conf/pmtarget.conf are the code defaults");
        assertEquals(List.of(), config.warnings());
        assertFalse(Files.exists(dir.resolve("data")), "loading created the data directory");
    }

    @Test
    void dataDirOverride() throws Exception {
        ServerConfig config = new ConfigLoader(ConfigFixture.ACCEPT_OPTIONS).loadDefault(Path.of("other"), dir);
        assertEquals(dir.resolve("other"), config.server().dataDir());
        assertTrue(config.volumes().values().iterator().next().cacheFile().startsWith(dir.resolve("other")));
    }

    @Test
    void embeddedResourceIsConfPmtargetConf() throws Exception {
        byte[] embedded;
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/" + ConfigLoader.DEFAULT_RESOURCE)) {
            embedded = in.readAllBytes();
        }
        assertEquals(Files.readString(CONF.resolve("pmtarget.conf")), new String(embedded,
                java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void chapExampleIsValid() throws Exception {
        Path copy = dir.resolve("example-chap.conf");
        Files.copy(CONF.resolve("example-chap.conf"), copy);
        Files.setPosixFilePermissions(copy, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        ServerConfig config = new ConfigLoader(ConfigFixture.ACCEPT_OPTIONS).load(copy, null, dir);
        TargetConfig target = config.targets().get(0);
        assertTrue(target.chap().isPresent());
        assertTrue(target.mutualChap().isPresent());
        assertEquals(2, target.allowedInitiators().size());
        assertFalse(target.allowAnyInitiator());
        assertEquals(TargetConfig.DiscoveryAuth.CHAP, target.discoveryAuth());
        assertEquals(List.of(), config.warnings());
    }
}

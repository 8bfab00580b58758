package io.pmtarget.target.config;

import static io.pmtarget.target.config.ConfigFixture.lineOf;
import static io.pmtarget.target.config.ConfigFixture.minimal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;
    ConfigFixture fx;

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(dir);
    }

    @Test
    void minimalConfigGetsDefaultsAndResolvedPaths() throws Exception {
        ServerConfig config = fx.load(minimal("", ""));
        Path dataDir = dir.resolve("data");
        assertEquals(dataDir, config.server().dataDir());
        assertEquals(dataDir.resolve("admin.sock"), config.server().adminSocket());
        assertEquals(0, config.server().workerThreads());
        VolumeConfig v0 = config.volumes().get("v0");
        assertEquals(dataDir.resolve("v0.cache"), v0.cacheFile());
        assertEquals(64L << 20, v0.cacheSizeBytes());
        assertEquals(1L << 30, v0.backingSizeBytes());
        assertEquals(4096, v0.blockSizeBytes());
        assertEquals(VolumeConfig.Persistence.AUTO, v0.persistence());
        assertEquals(Map.of(), v0.options());
        TargetConfig t0 = config.targets().get(0);
        assertEquals("iqn.2026-11.io.pmtarget:t0", t0.iqn());
        assertEquals(List.of(new Portal("127.0.0.1", 3260)), t0.portals());
        assertEquals(1, t0.tpgt());
        assertTrue(t0.allowAnyInitiator());
        assertTrue(t0.chap().isEmpty());
        assertEquals(NegotiationReader.defaults(), t0.negotiation());
        assertEquals(new LunConfig(0, "v0", 4096), t0.luns().get(0));
        assertEquals(List.of(), config.warnings());
        assertEquals("v0", config.volumes().get("v0").toSpec().name());
        assertEquals("auto", config.volumes().get("v0").toSpec().persistence());
    }

    @Test
    void dataDirOverrideWins() throws Exception {
        java.nio.file.Files.writeString(fx.file, minimal("", ""));
        ServerConfig config = new ConfigLoader(ConfigFixture.ACCEPT_OPTIONS).load(fx.file, Path.of("/srv/pm"), dir);
        assertEquals(Path.of("/srv/pm"), config.server().dataDir());
        assertEquals(Path.of("/srv/pm/v0.cache"), config.volumes().get("v0").cacheFile());
    }

    @Test
    void sizeUnits() throws Exception {
        String text = minimal("", "").replace("64MiB", "\"512KiB\"").replace("1GiB", "3G");
        ServerConfig config = fx.load(text);
        assertEquals(512L * 1024, config.volumes().get("v0").cacheSizeBytes());
        assertEquals(3L << 30, config.volumes().get("v0").backingSizeBytes());
        assertEquals(4096L * 1000, fx.load(minimal("", "").replace("1GiB", "4096000"))
                .volumes().get("v0").backingSizeBytes());
        // kB is a power of ten in HOCON: 4096 kB = 4096000 bytes = 1000 blocks of 4096.
        assertEquals(4_096_000L, fx.load(minimal("", "").replace("1GiB", "4096kB"))
                .volumes().get("v0").backingSizeBytes());
    }

    @Test
    void badSizeUnitAndRange() throws Exception {
        String text = minimal("", "").replace("64MiB", "64MiBs");
        fx.assertOnly(fx.problems(text), lineOf(text, "cache-size"), "volumes.v0.cache-size", "not a size");
        String small = minimal("", "").replace("64MiB", "4KiB");
        fx.assertOnly(fx.problems(small), lineOf(small, "cache-size"), "volumes.v0.cache-size",
                "below the minimum 65536");
        String unaligned = minimal("", "").replace("1GiB", "1000000");
        fx.assertOnly(fx.problems(unaligned), lineOf(unaligned, "backing-size"), "volumes.v0.backing-size",
                "not a multiple of block-size 4096");
    }

    @Test
    void unknownKeysAtEveryLevel() throws Exception {
        String text = minimal("    cache-sise = 1", "    chap-user = \"x\"\n    negotiation { MaxRecvDataSegmentLen = 512 }")
                + "extra = 1\n";
        List<String> problems = fx.problems(text);
        assertEquals(4, problems.size(), problems::toString);
        fx.assertProblem(problems, lineOf(text, "cache-sise"), "volumes.v0.cache-sise", "unknown key");
        fx.assertProblem(problems, lineOf(text, "chap-user"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".chap-user", "unknown key");
        fx.assertProblem(problems, lineOf(text, "MaxRecvDataSegmentLen"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".negotiation.MaxRecvDataSegmentLen", "unknown key");
        fx.assertProblem(problems, lineOf(text, "extra"), "extra", "unknown key");
    }

    @Test
    void unknownDmWritecacheOptionName() throws Exception {
        String text = minimal("    options { high_water = 50 }", "");
        fx.assertOnly(fx.problems(text), lineOf(text, "high_water"), "volumes.v0.options.high_water",
                "unknown key");
    }

    @Test
    void optionValuesReachTheValidatorAsTextAndItsErrorsAreLocated() throws Exception {
        String text = minimal("    options {\n      high_watermark = 60\n      low_watermark = 70\n"
                + "      fua = false\n    }", "");
        java.util.concurrent.atomic.AtomicReference<Map<String, String>> seen = new java.util.concurrent.atomic.AtomicReference<>();
        fx.load(text, seen::set);
        assertEquals(Map.of("high_watermark", "60", "low_watermark", "70", "fua", "false"), seen.get());
        List<String> problems = fx.problems(text, options -> {
            throw new IllegalArgumentException("low_watermark: 70 exceeds high_watermark 60");
        });
        fx.assertOnly(problems, lineOf(text, "low_watermark"), "volumes.v0.options.low_watermark",
                "70 exceeds high_watermark 60");
    }

    @Test
    void engineWithoutOptionValidationIsAWarningNotAnError() throws Exception {
        ServerConfig config = fx.load(minimal("    options { max_age = 1000 }", ""), options -> {
            throw new UnsupportedOperationException("not yet");
        });
        assertEquals(1, config.warnings().size(), config.warnings()::toString);
        assertTrue(config.warnings().get(0).startsWith(fx.file + ":" + lineOf(
                minimal("    options { max_age = 1000 }", ""), "options") + ": volumes.v0.options: not validated before start"),
                config.warnings()::toString);
    }

    @Test
    void rfcLimitsOfNegotiationKeys() throws Exception {
        String text = minimal("", "    negotiation {\n      MaxRecvDataSegmentLength = 511\n"
                + "      MaxBurstLength = 16777216\n      FirstBurstLength = 1048576\n"
                + "      HeaderDigest = \"CRC32C,MD5\"\n      InitialR2T = maybe\n      ErrorRecoveryLevel = 1\n    }");
        List<String> problems = fx.problems(text);
        String t = "targets.\"iqn.2026-11.io.pmtarget:t0\".negotiation.";
        fx.assertProblem(problems, lineOf(text, "MaxRecvData"), t + "MaxRecvDataSegmentLength",
                "511 is out of range 512..16777215");
        fx.assertProblem(problems, lineOf(text, "MaxBurst"), t + "MaxBurstLength", "out of range 512..16777215");
        // MaxBurstLength fell back to its default (1 MiB), so FirstBurstLength = 1 MiB is still allowed.
        fx.assertProblem(problems, lineOf(text, "HeaderDigest"), t + "HeaderDigest", "'MD5' is not a digest");
        fx.assertProblem(problems, lineOf(text, "InitialR2T"), t + "InitialR2T", "expected Yes/No");
        fx.assertProblem(problems, lineOf(text, "ErrorRecoveryLevel"), t + "ErrorRecoveryLevel", "level 0 only");
        assertEquals(5, problems.size(), problems::toString);
    }

    @Test
    void firstBurstMustNotExceedMaxBurst() throws Exception {
        String text = minimal("", "    negotiation {\n      MaxBurstLength = 65536\n      FirstBurstLength = 131072\n    }");
        fx.assertOnly(fx.problems(text), lineOf(text, "FirstBurst"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".negotiation.FirstBurstLength", "exceeds MaxBurstLength 65536");
    }

    @Test
    void negotiationValuesInRfcSpelling() throws Exception {
        String text = minimal("", "    negotiation {\n      InitialR2T = No\n      ImmediateData = yes\n"
                + "      HeaderDigest = [\"CRC32C\", \"None\"]\n      DataDigest = None\n      MaxOutstandingR2T = 8\n    }");
        Negotiation n = fx.load(text).targets().get(0).negotiation();
        assertFalse(n.initialR2T());
        assertTrue(n.immediateData());
        assertEquals(List.of("CRC32C", "None"), n.headerDigests());
        assertEquals(List.of("None"), n.dataDigests());
        assertEquals(8, n.maxOutstandingR2T());
    }

    @Test
    void portsAndPortalsOutOfRange() throws Exception {
        String text = minimal("", "").replace("127.0.0.1:3260", "127.0.0.1:70000");
        fx.assertOnly(fx.problems(text), lineOf(text, "portals"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".portals", "port 70000 is out of range 0..65535");
        String v6 = minimal("", "").replace("\"127.0.0.1:3260\"", "\"[::1]:3261\", \"10.0.0.1\"");
        assertEquals(List.of(new Portal("::1", 3261), new Portal("10.0.0.1", 3260)),
                fx.load(v6).targets().get(0).portals());
        String bare6 = minimal("", "").replace("127.0.0.1:3260", "::1:3260");
        fx.assertOnly(fx.problems(bare6), lineOf(bare6, "portals"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".portals", "write IPv6 addresses as [addr]:port");
    }

    @Test
    void missingRequiredKeys() throws Exception {
        String text = minimal("", "").replace("    backing-file = \"v0.img\"\n", "")
                .replace("    portals = [\"127.0.0.1:3260\"]\n", "");
        List<String> problems = fx.problems(text);
        fx.assertProblem(problems, lineOf(text, "v0 {"), "volumes.v0.backing-file", "missing (required)");
        fx.assertProblem(problems, lineOf(text, "iqn.2026"), "targets.\"iqn.2026-11.io.pmtarget:t0\".portals",
                "missing (required)");
    }

    @Test
    void badNamesAndValues() throws Exception {
        String text = minimal("    block-size = 3000\n    persistence = fast", "").replace("iqn.2026-11.io", "iqn.2026-13.io");
        List<String> problems = fx.problems(text);
        fx.assertProblem(problems, lineOf(text, "block-size"), "volumes.v0.block-size", "not a power of two");
        fx.assertProblem(problems, lineOf(text, "persistence"), "volumes.v0.persistence",
                "'fast' is not one of auto, native, java");
        fx.assertProblem(problems, lineOf(text, "iqn.2026-13"), "targets.\"iqn.2026-13.io.pmtarget:t0\"",
                "not an iqn name");
        assertEquals(3, problems.size(), problems::toString);
    }

    @Test
    void syntaxErrorNamesFileAndLine() throws Exception {
        String text = "server {\n  data-dir = \"x\"\n  worker-threads = [1,\n}\n";
        List<String> problems = fx.problems(text);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).startsWith(fx.file + ":"), problems::toString);
        assertTrue(problems.get(0).contains(": syntax: "), problems::toString);
    }

    @Test
    void missingFile() {
        ConfigProblemException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigProblemException.class,
                () -> new ConfigLoader().load(dir.resolve("nope.conf"), null, dir));
        assertEquals(List.of(dir.resolve("nope.conf") + ": cannot read: no such file"), e.problems());
    }

    @Test
    void sizeZeroNeedsAnExistingFile() throws Exception {
        String text = minimal("", "").replace("    cache-size = 64MiB\n", "");
        fx.assertOnly(fx.problems(text), lineOf(text, "v0 {"), "volumes.v0.cache-size",
                "cache-file " + dir.resolve("data/v0.cache") + " does not exist");
        java.nio.file.Files.createDirectories(dir.resolve("data"));
        java.nio.file.Files.write(dir.resolve("data/v0.cache"), new byte[4096]);
        assertEquals(0, fx.load(text).volumes().get("v0").cacheSizeBytes());
    }

    @Test
    void filesOutsideDataDirNeedAnExistingDirectory() throws Exception {
        String text = minimal("", "").replace("\"v0.cache\"", "\"" + dir.resolve("pmem0/v0.cache") + "\"");
        fx.assertOnly(fx.problems(text), lineOf(text, "cache-file"), "volumes.v0.cache-file",
                "directory " + dir.resolve("pmem0") + " does not exist");
        java.nio.file.Files.createDirectory(dir.resolve("pmem0"));
        assertEquals(dir.resolve("pmem0/v0.cache"), fx.load(text).volumes().get("v0").cacheFile());
        // Under data-dir, missing directories are fine: the server creates them.
        String nested = minimal("", "").replace("\"v0.cache\"", "\"sub/dir/v0.cache\"");
        assertEquals(dir.resolve("data/sub/dir/v0.cache"), fx.load(nested).volumes().get("v0").cacheFile());
    }

    @Test
    void serverBlockRanges() throws Exception {
        String text = minimal("", "").replace("server { data-dir = \"data\" }",
                "server {\n  data-dir = \"data\"\n  worker-threads = 300\n  shutdown-timeout-ms = -1\n}");
        List<String> problems = fx.problems(text);
        fx.assertProblem(problems, lineOf(text, "worker-threads"), "server.worker-threads", "300 is out of range 0..256");
        fx.assertProblem(problems, lineOf(text, "shutdown-timeout"), "server.shutdown-timeout-ms",
                "-1 is out of range 0..600000");
        assertEquals(2, problems.size(), problems::toString);
    }

    @Test
    void inlineIoDefaultsToTrueAndMustBeABoolean() throws Exception {
        assertTrue(fx.load(minimal("", "")).server().inlineIo());
        String off = minimal("", "").replace("server { data-dir = \"data\" }",
                "server {\n  data-dir = \"data\"\n  inline-io = false\n}");
        assertFalse(fx.load(off).server().inlineIo());
        String bad = minimal("", "").replace("server { data-dir = \"data\" }",
                "server {\n  data-dir = \"data\"\n  inline-io = sometimes\n}");
        List<String> problems = fx.problems(bad);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("server.inline-io"), problems::toString);
    }

    @Test
    void duplicateLunBlock() throws Exception {
        String text = minimal("", "    luns {\n      0 { block-size = 4096 }\n    }");
        fx.assertOnly(fx.problems(text), lineOf(text, "0 { block-size"),
                "targets.\"iqn.2026-11.io.pmtarget:t0\".luns.0", "LUN 0 defined more than once");
    }

    @Test
    void adminSocketPathLimit() throws Exception {
        String text = minimal("", "").replace("data-dir = \"data\"", "data-dir = \"data\", admin-socket = \""
                + "s".repeat(120) + "\"");
        fx.assertOnly(fx.problems(text), 1, "server.admin-socket", "longer than 107 bytes");
    }
}

package io.pmtarget.target.cli;

import io.pmtarget.target.config.ConfigLoader;
import io.pmtarget.target.config.ConfigProblemException;
import io.pmtarget.target.config.ServerConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --config} and {@code --data-dir}, shared by serve and the admin commands. */
final class ConfigOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config file (HOCON). Default: the embedded default (conf/pmtarget.conf).")
    Path configFile;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Overrides server.data-dir.")
    Path dataDir;

    ServerConfig load() throws ConfigProblemException {
        ConfigLoader loader = new ConfigLoader();
        Path workingDir = Path.of("").toAbsolutePath();
        return configFile == null ? loader.loadDefault(dataDir, workingDir)
                : loader.load(configFile, dataDir, workingDir);
    }
}

package io.pmtarget.target;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The build's version, from the Maven-filtered {@code pmtarget-version.properties}. */
public final class Version {

    private static final String VERSION = load();

    private Version() {
    }

    public static String version() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("/pmtarget-version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("version", "unknown");
            return version.startsWith("${") ? "unknown (unfiltered build)" : version;
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}

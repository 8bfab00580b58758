import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jscsi.target.Configuration;
import org.jscsi.target.TargetServer;

/**
 * Starts the jSCSI target (org.jscsi:target:2.5.2) non-interactively for the side-by-side benchmark.
 * TargetServer.main asks on stdin which address to advertise when the host has several; this launcher
 * passes 127.0.0.1 instead. Usage: java -cp LIB/* JscsiLauncher.java CONFIG.xml
 */
public final class JscsiLauncher {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: JscsiLauncher CONFIG.xml");
        }
        // The schema ships inside the jar; Configuration.create wants it as a file.
        Path schema = Files.createTempFile("jscsi-target", ".xsd");
        schema.toFile().deleteOnExit();
        try (var in = TargetServer.class.getResourceAsStream("/jscsi-target.xsd")) {
            if (in == null) {
                throw new IllegalStateException("jscsi-target.xsd not found in the jSCSI target jar");
            }
            Files.copy(in, schema, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Configuration config = Configuration.create(schema.toFile(), new File(args[0]), "127.0.0.1");
        System.out.println("jSCSI target listening on 127.0.0.1:" + config.getPort());
        new TargetServer(config).call();
    }
}

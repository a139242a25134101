import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local has no option for the address it listens on: its Jetty server binds every interface. This runs
 * it exactly as its own main does (same command-line options, telemetry left off), but binds the one connector
 * to the host given as the first argument (127.0.0.1 for npm start and the tests) before starting it.
 * Run in Java's source-file mode: java -cp DynamoDBLocal.jar LoopbackServerRunner.java 127.0.0.1 -port 8000 ...
 */
public class LoopbackServerRunner {
  public static void main(String[] args) throws Exception {
    String host = args[0];
    String[] options = java.util.Arrays.copyOfRange(args, 1, args.length);
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(options);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }
    proxy.start();
  }
}

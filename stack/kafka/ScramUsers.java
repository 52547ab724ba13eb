import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;

/**
 * Sets SCRAM-SHA-512 credentials of Kafka users through the Admin API (kafkajs has no
 * AlterUserScramCredentials). Everything comes on standard input, never as an argument (a
 * process's arguments are visible to every user of the host):
 *
 * <pre>
 * line 1: bootstrap servers
 * line 2: the JAAS line of the (PLAIN) login that may alter credentials
 * then:   one "user password" line per user
 * </pre>
 *
 * Run by the local stack (apps/cli/src/stack/kafka.ts) as a single-file source program.
 */
public class ScramUsers {
  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Properties props = new Properties();
    props.put("bootstrap.servers", in.readLine());
    props.put("security.protocol", "SASL_PLAINTEXT");
    props.put("sasl.mechanism", "PLAIN");
    props.put("sasl.jaas.config", in.readLine());
    List<UserScramCredentialAlteration> upserts = new ArrayList<>();
    String line;
    while ((line = in.readLine()) != null) {
      int space = line.indexOf(' ');
      if (space <= 0) continue;
      upserts.add(
          new UserScramCredentialUpsertion(
              line.substring(0, space),
              new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
              line.substring(space + 1)));
    }
    try (Admin admin = Admin.create(props)) {
      admin.alterUserScramCredentials(upserts).all().get(60, TimeUnit.SECONDS);
    }
    System.out.println("scram credentials set: " + upserts.size());
  }
}

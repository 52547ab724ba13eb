package fstore.livy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import javax.servlet.Filter;
import javax.servlet.FilterChain;
import javax.servlet.FilterConfig;
import javax.servlet.ServletException;
import javax.servlet.ServletRequest;
import javax.servlet.ServletResponse;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * Livy's authentication on the local stack: every request must carry {@code Authorization: Bearer
 * <token>}, the token read once from the file named by the init parameter {@code token-file}
 * (mode 0600, written by apps/cli/src/stack/livy.ts from FSTORE_LIVY_TOKEN). Anything else is
 * refused with 401 before Livy sees it. Livy installs it as a custom auth type
 * ({@code livy.server.auth.type}, {@code livy.server.auth.<type>.class}, init parameters from
 * {@code livy.server.auth.<type>.param.*}); its CSRF filter still runs after this one.
 *
 * <p>The token is compared in constant time (MessageDigest.isEqual on equal-length digests), so
 * the time of a refusal says nothing about how much of a guess was right.
 */
public class BearerTokenFilter implements Filter {
  private static final String PREFIX = "Bearer ";
  private byte[] expectedDigest;

  @Override
  public void init(FilterConfig config) throws ServletException {
    String file = config.getInitParameter("token-file");
    if (file == null || file.isEmpty()) {
      throw new ServletException("BearerTokenFilter needs the init parameter token-file");
    }
    String token;
    try {
      token = new String(Files.readAllBytes(Paths.get(file)), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new ServletException("BearerTokenFilter cannot read " + file + ": " + e, e);
    }
    if (token.length() < 16) {
      throw new ServletException("BearerTokenFilter: the token in " + file + " is shorter than 16");
    }
    expectedDigest = sha256(token);
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    String header = request.getHeader("Authorization");
    boolean ok =
        header != null
            && header.startsWith(PREFIX)
            && MessageDigest.isEqual(sha256(header.substring(PREFIX.length()).trim()), expectedDigest);
    if (ok) {
      chain.doFilter(req, res);
      return;
    }
    response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
    response.setHeader("WWW-Authenticate", "Bearer realm=\"livy\"");
    response.setContentType("application/json");
    response.getWriter().write(
        header == null
            ? "{\"msg\":\"Authorization: Bearer <token> is required\"}"
            : "{\"msg\":\"the bearer token is not valid\"}");
  }

  @Override
  public void destroy() {}

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

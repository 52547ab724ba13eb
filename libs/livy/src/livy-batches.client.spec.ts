import { LivyBatchesClient, LivyInvalidRequestError, isTerminal, livyMessage } from '@fstore/livy';

describe('@fstore/livy (no server)', () => {
  // Nothing listens on port 9: a request that were sent would fail as unavailable instead.
  const client = new LivyBatchesClient('http://127.0.0.1:9', {
    timeoutMs: 500,
    retries: 0,
    backoffMs: 0,
  });

  it("reads Livy's error bodies: {msg}, a bare JSON string, or anything else", () => {
    expect(livyMessage({ msg: "Session '7' not found." })).toBe("Session '7' not found.");
    expect(livyMessage('java.lang.IndexOutOfBoundsException: 0')).toBe(
      'java.lang.IndexOutOfBoundsException: 0',
    );
    expect(livyMessage(undefined)).toBe('null');
    expect(livyMessage({ error: 1 })).toBe('{"error":1}');
  });

  it('refuses what Livy 0.7.1 would refuse (leaving a phantom batch) before sending', async () => {
    await expect(client.submit({ file: '' })).rejects.toBeInstanceOf(LivyInvalidRequestError);
    await expect(client.submit({ file: 'jobs/a.py' })).rejects.toThrow(/absolute path nor a URI/);
    await expect(client.submit({ file: '/a.py', pyFiles: ['b.py'] })).rejects.toThrow(/"b.py"/);
    await expect(
      client.submit({ file: '/a.py', conf: { 'spark.x': 1 as unknown as string } }),
    ).rejects.toThrow(/conf spark.x must be a string/);
  });

  it('knows the terminal batch states', () => {
    expect(['success', 'dead', 'killed', 'error'].every((s) => isTerminal(s as never))).toBe(true);
    expect(['starting', 'running', 'not_started'].some((s) => isTerminal(s as never))).toBe(false);
  });
});

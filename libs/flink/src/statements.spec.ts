import { FlinkScriptError } from './errors';
import { splitStatements, sqlString } from './statements';

const sqls = (script: string) => splitStatements(script).map((s) => s.sql);

describe('splitStatements', () => {
  it('splits at top-level semicolons and classifies each statement', () => {
    const out = splitStatements(`SET 'parallelism.default' = '2';
CREATE TABLE src (k STRING) WITH ('connector' = 'kafka');

INSERT INTO dst SELECT k FROM src;`);
    expect(out.map((s) => [s.kind, s.line, s.sql])).toEqual([
      ['set', 1, "SET 'parallelism.default' = '2'"],
      ['ddl', 2, "CREATE TABLE src (k STRING) WITH ('connector' = 'kafka')"],
      ['insert', 4, 'INSERT INTO dst SELECT k FROM src'],
    ]);
  });

  it('keeps semicolons inside string literals, escaped quotes and quoted identifiers', () => {
    expect(
      sqls("SELECT 'a;b', 'it''s; fine', `we;ird`, \"dq;x\" FROM t; INSERT INTO x VALUES (';')"),
    ).toEqual([
      "SELECT 'a;b', 'it''s; fine', `we;ird`, \"dq;x\" FROM t",
      "INSERT INTO x VALUES (';')",
    ]);
  });

  it('keeps semicolons inside comments and drops comment-only statements', () => {
    const script = `-- a comment; with a semicolon
/* block; comment
   over lines; */
SET 'a' = 'b'; -- trailing; comment
-- only a comment;
;;
SELECT 1 /* inline; */ FROM t`;
    const out = splitStatements(script);
    expect(out.map((s) => s.sql)).toEqual(["SET 'a' = 'b'", 'SELECT 1 /* inline; */ FROM t']);
    expect(out.map((s) => s.line)).toEqual([4, 7]);
  });

  it('keeps an EXECUTE STATEMENT SET block whole', () => {
    const out = splitStatements(`CREATE TABLE a (x INT);
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO s1 SELECT CASE WHEN x > 0 THEN 1 END FROM a;
  INSERT INTO s2 SELECT x FROM a;
END;
`);
    expect(out).toHaveLength(2);
    expect(out[1].kind).toBe('statement-set');
    expect(out[1].line).toBe(2);
    expect(out[1].sql).toMatch(/^EXECUTE STATEMENT SET\nBEGIN\n.*s1.*;\n.*s2.*;\nEND$/s);
  });

  it('rewrites the SQL client form BEGIN STATEMENT SET; … END; for the gateway', () => {
    const out = splitStatements(`BEGIN STATEMENT SET;
INSERT INTO s1 SELECT 1;
INSERT INTO s2 SELECT ';';
END;
SET 'x' = 'y';`);
    expect(out.map((s) => s.kind)).toEqual(['statement-set', 'set']);
    expect(out[0].sql).toBe(
      "EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO s1 SELECT 1;\nINSERT INTO s2 SELECT ';';\nEND",
    );
  });

  it('accepts a last statement without a semicolon, and an empty script', () => {
    expect(sqls('SELECT 1')).toEqual(['SELECT 1']);
    expect(sqls('  \n-- nothing\n')).toEqual([]);
  });

  it('reports unterminated literals, comments and statement sets with their line', () => {
    expect(() => splitStatements("SELECT 1;\nSELECT 'oops")).toThrow(
      /unterminated string literal \('\) at line 2/,
    );
    expect(() => splitStatements('SELECT 1 /* never closed')).toThrow(FlinkScriptError);
    expect(() => splitStatements('EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;')).toThrow(
      /statement set starting at line 1 is not closed by END/,
    );
  });
});

describe('sqlString', () => {
  it('quotes a value as a SQL string literal', () => {
    expect(sqlString("file:///tmp/it's")).toBe("'file:///tmp/it''s'");
  });
});

// NodeSqlStorage (the Node host's `ctx.storage.sql`) and the statement splitter it relies on, on real
// SQLite: the same observable behaviour as workerd's SqlStorage.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseSync } from 'node:sqlite';
import { NodeSqlStorage } from '../../node-adapter/sql-storage.ts';
import { openDatabase, splitStatements } from '../../node-adapter/sqlite.ts';

/** workerd's message for SQL transaction control (src/workerd/api/sql.c++, allowTransactions). */
const WORKERD_TX_MESSAGE =
  'To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs ' +
  'instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will ' +
  "automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic " +
  'atomic write coalescing.';

describe('splitStatements', () => {
  it('splits a script at top-level semicolons and drops empty statements', () => {
    expect(splitStatements('SELECT 1; SELECT 2;;  ;\n')).toEqual(['SELECT 1', ' SELECT 2']);
  });

  it('keeps semicolons inside string literals, quoted identifiers and brackets', () => {
    const script = `INSERT INTO t VALUES ('a;b', 'it''s; fine'); SELECT "we;ird" FROM [x;y]; SELECT \`b;q\``;
    expect(splitStatements(script)).toEqual([
      `INSERT INTO t VALUES ('a;b', 'it''s; fine')`,
      ` SELECT "we;ird" FROM [x;y]`,
      ' SELECT `b;q`',
    ]);
  });

  it('ignores semicolons inside line and block comments', () => {
    const script = 'SELECT 1 -- one; two\n; /* three; four */ SELECT 2';
    expect(splitStatements(script)).toEqual(['SELECT 1 -- one; two\n', ' /* three; four */ SELECT 2']);
  });

  it('drops statements that are only comments', () => {
    expect(splitStatements('-- nothing here;\n/* nor; here */ ; SELECT 1')).toEqual([' SELECT 1']);
  });

  it('does not treat comment markers inside strings as comments', () => {
    expect(splitStatements(`SELECT '--;'; SELECT '/*;'`)).toEqual([`SELECT '--;'`, ` SELECT '/*;'`]);
  });

  it('keeps a CREATE TRIGGER body with semicolons as one statement', () => {
    const trigger = `CREATE TRIGGER log_insert AFTER INSERT ON t BEGIN
      INSERT INTO log VALUES (new.a); UPDATE counter SET n = n + 1;
    END`;
    expect(splitStatements(`${trigger}; SELECT 1`)).toEqual([trigger, ' SELECT 1']);
  });
});

describe('NodeSqlStorage', () => {
  let db: DatabaseSync;
  let sql: NodeSqlStorage;

  beforeEach(() => {
    db = openDatabase(':memory:');
    sql = new NodeSqlStorage(db);
  });

  afterEach(() => {
    db.close();
  });

  it('runs a multi-statement script and returns the cursor of the last statement', () => {
    const cursor = sql.exec(`
      CREATE TABLE t (a INTEGER, b TEXT);
      INSERT INTO t VALUES (1, 'x; y');
      INSERT INTO t VALUES (2, 'z');
      SELECT a, b FROM t ORDER BY a;`);
    expect(cursor.columnNames).toEqual(['a', 'b']);
    expect(cursor.toArray()).toEqual([
      { a: 1, b: 'x; y' },
      { a: 2, b: 'z' },
    ]);
  });

  it('binds parameters to a single statement', () => {
    sql.exec('CREATE TABLE t (a INTEGER, b TEXT)');
    sql.exec('INSERT INTO t VALUES (?, ?)', 7, 'seven');
    expect(sql.exec('SELECT b FROM t WHERE a = ?', 7).one()).toEqual({ b: 'seven' });
  });

  it('refuses bindings for a script of several statements', () => {
    expect(() => sql.exec('SELECT ?; SELECT ?', 1)).toThrow(/bindings are supported only for a single statement/);
  });

  it.each(['BEGIN', 'BEGIN TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT sp', 'RELEASE sp', 'END'])(
    'refuses %s with workerd\'s message',
    (statement) => {
      expect(() => sql.exec(statement)).toThrow(WORKERD_TX_MESSAGE);
    },
  );

  it('refuses transaction control inside a multi-statement script', () => {
    sql.exec('CREATE TABLE t (a INTEGER)');
    expect(() => sql.exec('INSERT INTO t VALUES (1); BEGIN; INSERT INTO t VALUES (2)')).toThrow(WORKERD_TX_MESSAGE);
    expect(sql.exec('SELECT COUNT(*) AS n FROM t WHERE a = 2').one()).toEqual({ n: 0 });
  });

  it('refuses writes to the host\'s _cf_ tables', () => {
    expect(() => sql.exec('CREATE TABLE _cf_mine (a)')).toThrow(/not authorized/);
  });

  it('one() returns the single row and throws on zero or several rows with workerd\'s messages', () => {
    sql.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)');
    expect(sql.exec('SELECT a FROM t WHERE a = 1').one()).toEqual({ a: 1 });
    expect(() => sql.exec('SELECT a FROM t WHERE a = 3').one()).toThrow(
      'Expected exactly one result from SQL query, but got no results.',
    );
    expect(() => sql.exec('SELECT a FROM t').one()).toThrow(
      'Expected exactly one result from SQL query, but got multiple results.',
    );
  });

  it('raw() yields rows as arrays in column order', () => {
    sql.exec(`CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'one'); INSERT INTO t VALUES (2, 'two')`);
    expect([...sql.exec('SELECT b, a FROM t ORDER BY a').raw()]).toEqual([
      ['one', 1],
      ['two', 2],
    ]);
  });

  it('raw() keeps every value when a join repeats a column name, objects keep the last one', () => {
    sql.exec(`
      CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
      CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, name TEXT);
      INSERT INTO parent VALUES (1, 'p');
      INSERT INTO child VALUES (10, 1, 'c');`);
    const query = 'SELECT parent.id, child.id, parent.name, child.name FROM parent JOIN child ON child.parent_id = parent.id';
    const cursor = sql.exec(query);
    expect(cursor.columnNames).toEqual(['id', 'id', 'name', 'name']);
    expect([...cursor.raw()]).toEqual([[1, 10, 'p', 'c']]);
    expect(sql.exec(query).toArray()).toEqual([{ id: 10, name: 'c' }]);
  });

  it('iterates rows and the cursor is consumed once', () => {
    sql.exec('CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)');
    const cursor = sql.exec('SELECT a FROM t ORDER BY a');
    expect(cursor.next()).toEqual({ done: false, value: { a: 1 } });
    expect([...cursor]).toEqual([{ a: 2 }, { a: 3 }]);
    expect(cursor.toArray()).toEqual([]);
  });

  it('returns blobs as ArrayBuffers holding exactly the stored bytes', () => {
    sql.exec('CREATE TABLE b (data BLOB)');
    sql.exec('INSERT INTO b VALUES (?)', new Uint8Array([0, 1, 254, 255]));
    // A view into a larger buffer binds only its own bytes.
    const backing = new Uint8Array([9, 9, 7, 8, 9]);
    sql.exec('INSERT INTO b VALUES (?)', backing.subarray(2, 4));
    const rows = sql.exec<{ data: ArrayBuffer }>('SELECT data FROM b ORDER BY rowid').toArray();
    expect(rows[0]!.data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[0]!.data)]).toEqual([0, 1, 254, 255]);
    expect([...new Uint8Array(rows[1]!.data)]).toEqual([7, 8]);
  });

  it('returns integers as numbers and booleans bind as 0/1', () => {
    sql.exec('CREATE TABLE t (a INTEGER, b INTEGER)');
    sql.exec('INSERT INTO t VALUES (?, ?)', 2 ** 40, true);
    expect(sql.exec('SELECT a, b FROM t').one()).toEqual({ a: 2 ** 40, b: 1 });
  });

  it('refuses to bind undefined', () => {
    expect(() => sql.exec('SELECT ?', undefined)).toThrow(/undefined/);
  });

  it('counts rows written by inserts, updates and deletes, and none for reads', () => {
    sql.exec('CREATE TABLE t (a INTEGER)');
    expect(sql.exec('INSERT INTO t VALUES (1), (2), (3)').rowsWritten).toBe(3);
    expect(sql.exec('UPDATE t SET a = a + 10 WHERE a >= 2').rowsWritten).toBe(2);
    expect(sql.exec('SELECT * FROM t').rowsWritten).toBe(0);
    const returning = sql.exec('DELETE FROM t WHERE a > 10 RETURNING a');
    expect(returning.rowsWritten).toBe(2);
    expect(returning.toArray().map((r) => r.a).sort()).toEqual([12, 13]);
    expect(sql.exec('SELECT * FROM t').rowsRead).toBe(1);
  });

  it('runs a CREATE TRIGGER whose body has several statements', () => {
    sql.exec(`
      CREATE TABLE t (a INTEGER);
      CREATE TABLE log (a INTEGER);
      CREATE TRIGGER t_log AFTER INSERT ON t BEGIN
        INSERT INTO log VALUES (new.a);
        INSERT INTO log VALUES (new.a * 10);
      END;
      INSERT INTO t VALUES (4);`);
    expect(sql.exec('SELECT a FROM log ORDER BY a').toArray()).toEqual([{ a: 4 }, { a: 40 }]);
  });

  it('reports the database size in bytes', () => {
    sql.exec('CREATE TABLE t (a TEXT)');
    expect(sql.databaseSize).toBeGreaterThan(0);
    expect(sql.databaseSize % 512).toBe(0);
  });
});

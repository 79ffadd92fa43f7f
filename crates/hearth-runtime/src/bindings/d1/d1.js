// D1 bindings (env.DB): the classes and result shapes of Cloudflare's D1
// binding, over hearth's SQLite databases (bindings/d1/mod.rs).
(function () {
  'use strict';
  const native = globalThis.__hearth_native;
  const internal = globalThis.__hearth_internal;

  const FIRST_PRIMARY = 'first-primary';
  const FIRST_UNCONSTRAINED = 'first-unconstrained';

  const failure = (kind, message) => new Error(`${kind}: ${message}`, { cause: new Error(message) });

  // [columns, rows] from the host into D1's array of row objects (a later
  // column of the same name wins, as on Cloudflare).
  function objects(columns, rows) {
    const out = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const o = {};
      for (let i = 0; i < columns.length; i++) o[columns[i]] = row[i];
      out[r] = o;
    }
    return out;
  }

  const toResult = ([columns, rows, meta]) => ({ success: true, meta, results: objects(columns, rows) });

  // A bound value as D1 accepts it: numbers, strings, null, booleans as 0/1,
  // and bytes (ArrayBuffer, views, arrays of byte numbers) as blobs.
  function bindable(value) {
    const type = typeof value;
    if (type === 'number' || type === 'string') return value;
    if (type === 'boolean') return value ? 1 : 0;
    if (type === 'object') {
      if (value === null) return null;
      if (Array.isArray(value) && value.every((b) => typeof b === 'number' && b >= 0 && b < 256)) return new Uint8Array(value);
      if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (ArrayBuffer.isView(value)) return new Uint8Array(Array.from(value));
    }
    throw failure('D1_TYPE_ERROR', `Type '${type}' not supported for value '${String(value)}'`);
  }

  class D1DatabaseSession {
    #binding;
    #constraint;
    constructor(binding, constraintOrBookmark) {
      this.#binding = binding;
      if (constraintOrBookmark === null) {
        this.#constraint = null;
      } else {
        this.#constraint = String(constraintOrBookmark).trim();
        if (!this.#constraint) throw new Error('D1_SESSION_ERROR: invalid bookmark or constraint');
      }
    }

    prepare(query) {
      return new D1PreparedStatement(this, String(query));
    }

    async batch(statements) {
      if (!Array.isArray(statements) || !statements.every((s) => s instanceof D1PreparedStatement))
        throw new TypeError('D1_ERROR: batch() takes an array of prepared statements');
      return (await this._run(statements)).map(toResult);
    }

    // The bookmark of the latest write this session has seen; null until it ran a query.
    getBookmark() {
      if (this.#constraint === FIRST_PRIMARY || this.#constraint === FIRST_UNCONSTRAINED) return null;
      return this.#constraint;
    }

    // Reads answer at once; writes resolve once committed to disk.
    async _run(statements) {
      let out = native.d1Query(
        this.#binding,
        statements.map((s) => s.statement),
        statements.map((s) => s.params),
      );
      if (out instanceof Promise) out = await out;
      if (typeof out === 'string') throw failure('D1_ERROR', out);
      if (this.#constraint !== null) {
        // One primary, no replicas: every query sees every committed write,
        // and the session's bookmark is the database's latest.
        const latest = native.d1Bookmark(this.#binding);
        const current = this.getBookmark();
        if (current === null || current.localeCompare(latest) < 0) this.#constraint = latest;
      }
      return out;
    }

    async _exec(query) {
      const out = await native.d1Exec(this.#binding, String(query));
      if (typeof out === 'string') throw failure('D1_EXEC_ERROR', out);
      return { count: out[0], duration: out[1] };
    }
  }

  class D1PreparedStatement {
    #session;
    constructor(session, statement, params) {
      this.#session = session;
      this.statement = statement;
      this.params = params || [];
    }

    bind(...values) {
      return new D1PreparedStatement(this.#session, this.statement, values.map(bindable));
    }

    async first(colName) {
      const [columns, rows] = (await this.#session._run([this]))[0];
      if (rows.length === 0) return null;
      const row = objects(columns, [rows[0]])[0];
      if (colName !== undefined) {
        if (row[colName] === undefined)
          throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`, { cause: new Error('Column not found') });
        return row[colName];
      }
      return row;
    }

    async run() {
      return toResult((await this.#session._run([this]))[0]);
    }

    async all() {
      return toResult((await this.#session._run([this]))[0]);
    }

    async raw(options) {
      const [columns, rows] = (await this.#session._run([this]))[0];
      return options && options.columnNames ? [columns, ...rows] : rows;
    }
  }

  class D1Database {
    #binding;
    #primary;
    constructor(binding) {
      this.#binding = binding;
      this.#primary = new D1DatabaseSession(binding, null);
    }

    prepare(query) {
      return this.#primary.prepare(query);
    }

    async batch(statements) {
      return this.#primary.batch(statements);
    }

    async exec(query) {
      return this.#primary._exec(query);
    }

    withSession(constraintOrBookmark) {
      let c = constraintOrBookmark == null ? '' : String(constraintOrBookmark).trim();
      if (c === '') c = FIRST_UNCONSTRAINED;
      return new D1DatabaseSession(this.#binding, c);
    }
  }

  internal.D1Database = D1Database;
  internal.D1DatabaseSession = D1DatabaseSession;
  internal.D1PreparedStatement = D1PreparedStatement;
})();

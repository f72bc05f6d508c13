import PQ

/// Compares the live definitions of what the migrations create (columns, constraints, indexes, triggers and whether
/// they fire, rules, row security and its policies, views, functions) with the definitions the same migrations give
/// on the same server now: replayed in a scratch schema, inside a transaction that is rolled back.
///
/// The hash chains cover rows, not the schema around them. A superuser can redefine `effective_labels` (which decides
/// the label every metric uses), disable or replace the append-only triggers, or add a rule or a row-security policy
/// that hides rows from the reports, all without changing a hashed row. Comparing against a replay, rather than against
/// definitions stored earlier, needs no stored state an attacker could rewrite too, and stays right across server
/// upgrades (both sides are printed by the same server). Extra indexes are allowed: a DBA may add one for speed.
public enum SchemaCheck {
    /// What the comparison found.
    public struct Result: Sendable {
        /// Definitions compared (0 when the check could not run).
        public let compared: Int
        /// Every difference, worded for the verify report.
        public let problems: [String]
        /// Why the check could not run (the role may not create a schema, say); nil when it ran.
        public let notChecked: String?
    }

    /// The scratch schema the migrations are replayed into; it never outlives the check's transaction.
    static let scratchSchema = "vlm_audit_expected"

    /// Replays `migrations` in a scratch schema and compares what they define with the live schema.
    public static func check(_ connection: PQConnection, migrations: [Migrator.Migration]) throws -> Result {
        guard
            let live = try connection.query(
                """
                SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.oid = to_regclass('schema_migrations')
                """
            ).string(0, 0)
        else { return Result(compared: 0, problems: [], notChecked: "no migrated schema found") }
        try connection.execute("BEGIN")
        defer { try? connection.execute("ROLLBACK") }
        do {
            try connection.execute("CREATE SCHEMA \(scratchSchema); SET LOCAL search_path = \(scratchSchema)")
            try connection.execute(Migrator.createSchemaMigrations)
        } catch let error as PQError {
            return Result(compared: 0, problems: [], notChecked: "the scratch schema cannot be created: \(error)")
        }
        for migration in migrations {
            do {
                try connection.execute(migration.sql)
            } catch let error as PQError {
                return Result(compared: 0, problems: [], notChecked: "migration \(migration.name) cannot be replayed: \(error)")
            }
        }
        let expected = try definitions(connection, schema: scratchSchema)
        try connection.execute("SET LOCAL search_path = \(quoteIdentifier(live))")
        let actual = try definitions(connection, schema: live)
        return Result(compared: expected.count, problems: differences(expected: expected, actual: actual), notChecked: nil)
    }

    /// One schema's definitions by kind and name, for the relations and functions the scratch schema holds; printed
    /// with `schema` on the search path, so that names in them come out unqualified on both sides.
    private static func definitions(_ connection: PQConnection, schema: String) throws -> [Key: String] {
        let result = try connection.query(definitionsQuery, [schema, scratchSchema])
        var definitions: [Key: String] = [:]
        // Some definitions name relations with their schema whatever the search path (pg_get_indexdef, for one).
        func unqualified(_ text: String) -> String {
            text.replacingOccurrences(of: quoteIdentifier(schema) + ".", with: "").replacingOccurrences(of: schema + ".", with: "")
        }
        for row in 0..<result.rowCount {
            let key = Key(kind: result.string(row, 0) ?? "", name: unqualified(result.string(row, 1) ?? ""))
            definitions[key] = unqualified(result.string(row, 2) ?? "")
        }
        return definitions
    }

    private struct Key: Hashable, Comparable {
        let kind: String
        let name: String

        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.kind, lhs.name) < (rhs.kind, rhs.name) }
    }

    private static func differences(expected: [Key: String], actual: [Key: String]) -> [String] {
        var problems: [String] = []
        for key in expected.keys.sorted() {
            guard let live = actual[key] else {
                problems.append("\(key.kind) \(key.name) defined by the migrations is missing")
                continue
            }
            guard live != expected[key] else { continue }
            if key.kind == "trigger", live.hasSuffix("[enabled: D]") {
                problems.append("trigger \(key.name) is disabled")
            } else {
                problems.append("\(key.kind) \(key.name) differs from the migrations' definition: \(excerpt(live))")
            }
        }
        for key in actual.keys.sorted() where expected[key] == nil && key.kind != "index" {
            problems.append("\(key.kind) \(key.name) is not defined by the migrations: \(excerpt(actual[key]!))")
        }
        return problems
    }

    private static func excerpt(_ definition: String) -> String {
        let flat = definition.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 240 ? flat.prefix(240) + "…" : flat
    }

    private static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// $1: the schema to describe; $2: the scratch schema, whose relations and functions say what to describe.
    private static let definitionsQuery = """
        WITH rels AS (
            SELECT c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity
            FROM pg_class c
            WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND c.relname IN (SELECT relname FROM pg_class WHERE relnamespace = $2::regnamespace AND relkind IN ('r', 'v'))
        ), funcs AS (
            SELECT p.oid, p.proname, p.oid::regprocedure::text AS signature
            FROM pg_proc p
            WHERE p.pronamespace = $1::regnamespace
              AND p.proname IN (SELECT proname FROM pg_proc WHERE pronamespace = $2::regnamespace)
        )
        SELECT 'relation', relname, relkind::text || ', row security ' || relrowsecurity::text || '/' || relforcerowsecurity::text FROM rels
        UNION ALL
        SELECT 'column', r.relname || '.' || a.attname,
               format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE WHEN a.attidentity <> ''::"char" THEN ' IDENTITY ' || a.attidentity::text ELSE '' END
               || CASE WHEN a.attgenerated <> ''::"char" THEN ' GENERATED ' || a.attgenerated::text ELSE '' END
        FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
        UNION ALL
        SELECT 'constraint', r.relname || '.' || co.conname, pg_get_constraintdef(co.oid, true)
        FROM rels r JOIN pg_constraint co ON co.conrelid = r.oid
        UNION ALL
        SELECT 'index', r.relname || '.' || i.relname, pg_get_indexdef(i.oid)
        FROM rels r JOIN pg_index x ON x.indrelid = r.oid JOIN pg_class i ON i.oid = x.indexrelid
        UNION ALL
        SELECT 'trigger', r.relname || '.' || t.tgname, pg_get_triggerdef(t.oid, true) || ' [enabled: ' || t.tgenabled::text || ']'
        FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
        UNION ALL
        SELECT 'view', relname, pg_get_viewdef(oid, true) FROM rels WHERE relkind IN ('v', 'm')
        UNION ALL
        SELECT 'rule', r.relname || '.' || w.rulename, pg_get_ruledef(w.oid, true)
        FROM rels r JOIN pg_rewrite w ON w.ev_class = r.oid WHERE w.rulename <> '_RETURN'
        UNION ALL
        SELECT 'policy', r.relname || '.' || p.polname,
               p.polcmd::text || ' ' || CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END
               || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
               || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
        FROM rels r JOIN pg_policy p ON p.polrelid = r.oid
        UNION ALL
        SELECT 'function', signature, pg_get_functiondef(oid) FROM funcs
        """
}

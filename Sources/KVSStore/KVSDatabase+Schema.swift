// The schema, format 'fluxs-kvs 1':
//   fluxs_meta(key TEXT PRIMARY KEY, value TEXT)   ('format', 'fluxs-kvs 1')
//   namespaces(name TEXT PRIMARY KEY, owner INTEGER, version INTEGER)
//   entries(namespace, key, value BLOB NULL, is_dir INTEGER), primary key (namespace, key)
// entries holds one row per value (compact JSON) and per directory (value NULL,
// is_dir 1), empty directories included; the root is implicit. The primary key is the
// index: a table WITHOUT ROWID clustered on (namespace, key), so a subtree, every key
// in ('k.', 'k/'), is one contiguous range ('/' follows '.' in byte order).
import FluxsKVS
import FluxsMessage
import GRDB

extension KVSDatabase {
    /// The format this code reads and writes.
    public static let format = "fluxs-kvs 1"

    static let schema = """
        CREATE TABLE fluxs_meta(key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE namespaces(name TEXT PRIMARY KEY, owner INTEGER NOT NULL, version INTEGER NOT NULL);
        CREATE TABLE entries(
            namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB, is_dir INTEGER NOT NULL,
            PRIMARY KEY(namespace, key)) WITHOUT ROWID;
        """

    /// Refuses a file that is not ours, creates the schema in a new one, then turns on
    /// WAL (only now, so a foreign file is never changed).
    func checkOrCreateSchema() throws(ServiceError) {
        let path = self.path
        let state: String? = try read("cannot read") { db in
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            if tables == 0 { return nil }
            guard try db.tableExists("fluxs_meta") else {
                throw Self.notOurs(path, "no fluxs_meta table")
            }
            return try String.fetchOne(db, sql: "SELECT value FROM fluxs_meta WHERE key = 'format'") ?? ""
        }
        if let format = state, format != Self.format {
            throw Self.notOurs(path, format.isEmpty ? "no format in fluxs_meta" : "format '\(format)', expected '\(Self.format)'")
        }
        try writeWithoutTransaction("cannot turn on WAL") { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: durable ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF")
        }
        if state == nil {
            try write("cannot create the schema") { db in
                try db.execute(sql: Self.schema)
                try db.execute(sql: "INSERT INTO fluxs_meta(key, value) VALUES('format', ?)", arguments: [Self.format])
            }
        }
    }
}

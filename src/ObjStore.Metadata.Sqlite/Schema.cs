namespace ObjStore.Metadata.Sqlite;

/// <summary>Ordered migrations; the catalogue's user_version says how many have run.</summary>
internal static class Schema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE buckets (
            name    TEXT PRIMARY KEY,
            created INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Keys are UTF-8 BLOBs: BLOB order is memcmp, which is S3's UTF-8 binary listing order.
        CREATE TABLE objects (
            bucket        TEXT    NOT NULL,
            key           BLOB    NOT NULL,
            size          INTEGER NOT NULL,
            etag          TEXT    NOT NULL,
            last_modified INTEGER NOT NULL,
            content_type  TEXT,
            headers       TEXT,
            user_meta     TEXT,
            checksum_algo INTEGER NOT NULL DEFAULT 0,
            checksum      TEXT,
            storage_class TEXT    NOT NULL DEFAULT 'STANDARD',
            data_id       TEXT    NOT NULL,
            data_shards   INTEGER NOT NULL,
            parity_shards INTEGER NOT NULL,
            stripe_size   INTEGER NOT NULL,
            placement     TEXT    NOT NULL,
            PRIMARY KEY (bucket, key)
        ) WITHOUT ROWID;

        -- Shards of replaced or deleted objects, freed after the commit that orphaned them; survives a crash.
        CREATE TABLE pending_deletes (
            data_id       TEXT PRIMARY KEY,
            data_shards   INTEGER NOT NULL,
            parity_shards INTEGER NOT NULL,
            placement     TEXT    NOT NULL,
            enqueued      INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        -- Multipart: parts_count > 0 marks an object assembled from the parts rows whose upload_id is its data_id.
        ALTER TABLE objects ADD COLUMN parts_count INTEGER NOT NULL DEFAULT 0;

        -- Upload ids begin with the initiation time in hex, so (key, upload_id) is S3's (key, initiated) order.
        CREATE TABLE uploads (
            upload_id     TEXT    PRIMARY KEY,
            bucket        TEXT    NOT NULL,
            key           BLOB    NOT NULL,
            initiated     INTEGER NOT NULL,
            content_type  TEXT,
            headers       TEXT,
            user_meta     TEXT,
            checksum_algo INTEGER NOT NULL DEFAULT 0,
            storage_class TEXT    NOT NULL DEFAULT 'STANDARD'
        ) WITHOUT ROWID;
        CREATE INDEX uploads_by_key ON uploads(bucket, key, upload_id);
        CREATE INDEX uploads_by_age ON uploads(initiated);

        -- Parts of uploads in progress and of completed multipart objects (then upload_id = objects.data_id).
        CREATE TABLE parts (
            upload_id     TEXT    NOT NULL,
            part_number   INTEGER NOT NULL,
            size          INTEGER NOT NULL,
            etag          TEXT    NOT NULL,
            checksum      TEXT,
            last_modified INTEGER NOT NULL,
            data_id       TEXT    NOT NULL,
            data_shards   INTEGER NOT NULL,
            parity_shards INTEGER NOT NULL,
            stripe_size   INTEGER NOT NULL,
            placement     TEXT    NOT NULL,
            PRIMARY KEY (upload_id, part_number)
        ) WITHOUT ROWID;
        """,
        """
        -- Shards known to be missing or bad: not written at PUT time (node down, write failed) or found bad by a read.
        -- The heal work (self-healing) rebuilds them from k good shards and deletes the row.
        CREATE TABLE degraded_shards (
            data_id     TEXT    NOT NULL,
            shard_index INTEGER NOT NULL,
            store_id    TEXT    NOT NULL,
            reason      TEXT    NOT NULL,
            recorded    INTEGER NOT NULL,
            PRIMARY KEY (data_id, shard_index)
        ) WITHOUT ROWID;
        """,
        """
        -- Background work (heal, scrub, gc), claimed by workers under a lease; a lease that expires (its worker died)
        -- makes the job claimable again, until max_attempts, after which it stays failed and visible.
        CREATE TABLE jobs (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            kind         TEXT    NOT NULL,
            target       TEXT    NOT NULL,
            state        TEXT    NOT NULL,
            priority     INTEGER NOT NULL DEFAULT 0,
            attempts     INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL DEFAULT 3,
            items_done   INTEGER NOT NULL DEFAULT 0,
            items_total  INTEGER NOT NULL DEFAULT 0,
            bytes_done   INTEGER NOT NULL DEFAULT 0,
            bytes_total  INTEGER NOT NULL DEFAULT 0,
            last_error   TEXT,
            result       TEXT,
            lease_owner  TEXT,
            lease_expiry INTEGER,
            not_before   INTEGER NOT NULL DEFAULT 0,
            created      INTEGER NOT NULL,
            finished     INTEGER
        );
        CREATE INDEX jobs_by_state ON jobs(state, priority DESC, id);
        -- Healing and GC look objects and parts up by the data id their shards are named after.
        CREATE INDEX objects_by_data_id ON objects(data_id);
        CREATE INDEX parts_by_data_id ON parts(data_id);
        """,
        """
        -- Stores being drained (no new shards; their shards move elsewhere) and drained ones (empty, removable).
        CREATE TABLE store_states (
            store_id TEXT PRIMARY KEY,
            state    TEXT NOT NULL,
            changed  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        -- Job workers (gateways and storage nodes) as they last reported themselves; a job records the worker the
        -- scheduler gave it to.
        CREATE TABLE workers (
            id                  TEXT PRIMARY KEY,
            kinds               TEXT NOT NULL,   -- comma-separated job kinds
            holds               TEXT,            -- the store on the worker's own disk (a node), NULL for a gateway
            io_bytes_per_second INTEGER NOT NULL,
            disk_free_ratio     REAL,
            heartbeat           INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE jobs ADD COLUMN assigned_to TEXT;
        -- The instance id each store's data folder last reported: a new one means the folder came back empty.
        CREATE TABLE store_instances (
            store_id TEXT PRIMARY KEY,
            instance TEXT NOT NULL,
            seen     INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        """
        -- Versioning: objects holds every version of a key, newest first by seq (assigned at commit, increasing per
        -- key), the latest flagged. Existing objects become their keys' null versions; no shard is rewritten.
        ALTER TABLE objects RENAME TO objects_unversioned;
        CREATE TABLE objects (
            bucket        TEXT    NOT NULL,
            key           BLOB    NOT NULL,
            seq           INTEGER NOT NULL,
            version_id    TEXT    NOT NULL,
            is_latest     INTEGER NOT NULL,
            delete_marker INTEGER NOT NULL DEFAULT 0,
            size          INTEGER NOT NULL,
            etag          TEXT    NOT NULL,
            last_modified INTEGER NOT NULL,
            content_type  TEXT,
            headers       TEXT,
            user_meta     TEXT,
            checksum_algo INTEGER NOT NULL DEFAULT 0,
            checksum      TEXT,
            storage_class TEXT    NOT NULL DEFAULT 'STANDARD',
            data_id       TEXT,            -- NULL for a delete marker
            data_shards   INTEGER NOT NULL,
            parity_shards INTEGER NOT NULL,
            stripe_size   INTEGER NOT NULL,
            placement     TEXT    NOT NULL,
            parts_count   INTEGER NOT NULL DEFAULT 0,
            lock_mode     TEXT,            -- GOVERNANCE or COMPLIANCE, with retain_until (Unix ms)
            retain_until  INTEGER,
            legal_hold    INTEGER NOT NULL DEFAULT 0,  -- 0 never set, 1 ON, 2 OFF
            PRIMARY KEY (bucket, key, seq DESC)
        ) WITHOUT ROWID;
        INSERT INTO objects (bucket, key, seq, version_id, is_latest, size, etag, last_modified, content_type, headers,
                             user_meta, checksum_algo, checksum, storage_class, data_id, data_shards, parity_shards,
                             stripe_size, placement, parts_count)
            SELECT bucket, key, last_modified << 20, 'null', 1, size, etag, last_modified, content_type, headers,
                   user_meta, checksum_algo, checksum, storage_class, data_id, data_shards, parity_shards,
                   stripe_size, placement, parts_count
            FROM objects_unversioned;
        DROP TABLE objects_unversioned;
        CREATE INDEX objects_by_data_id ON objects(data_id);
        CREATE UNIQUE INDEX objects_by_version ON objects(bucket, key, version_id);
        -- ListObjects reads only this: each key's latest version when it is not a delete marker, with every column a
        -- listing shows (a covering index: a page never visits the table, where a key's old versions lie between).
        CREATE INDEX objects_current ON objects(bucket, key, size, etag, last_modified, checksum_algo, storage_class, is_latest, delete_marker)
            WHERE is_latest = 1 AND delete_marker = 0;

        ALTER TABLE buckets ADD COLUMN versioning INTEGER NOT NULL DEFAULT 0;   -- VersioningState
        ALTER TABLE buckets ADD COLUMN object_lock INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE buckets ADD COLUMN lock_mode TEXT;                         -- default retention
        ALTER TABLE buckets ADD COLUMN lock_days INTEGER;
        ALTER TABLE buckets ADD COLUMN lock_years INTEGER;

        ALTER TABLE uploads ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
        ALTER TABLE uploads ADD COLUMN lock_mode TEXT;
        ALTER TABLE uploads ADD COLUMN retain_until INTEGER;
        ALTER TABLE uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;           -- 0 never set, 1 ON, 2 OFF
        """,
        """
        -- Access control. A bucket's owner is a user's canonical id ('' for the root user); its configuration
        -- documents (policy, ACL, CORS, public access block, ownership controls) are rows of bucket_configs, read
        -- with the bucket. A version's ACL is JSON in objects.acl (NULL: the bucket owner has full control).
        ALTER TABLE buckets ADD COLUMN owner TEXT NOT NULL DEFAULT '';
        CREATE TABLE bucket_configs (
            bucket   TEXT NOT NULL,
            kind     TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (bucket, kind)
        ) WITHOUT ROWID;
        -- A version's owner: NULL for the bucket owner, else the writer's canonical id (buckets whose ACLs are
        -- enabled). Listings show it, so it joins the covering index of latest versions.
        ALTER TABLE objects ADD COLUMN acl TEXT;
        ALTER TABLE objects ADD COLUMN owner TEXT;
        ALTER TABLE uploads ADD COLUMN acl TEXT;
        ALTER TABLE uploads ADD COLUMN owner TEXT;
        DROP INDEX objects_current;
        CREATE INDEX objects_current ON objects(bucket, key, size, etag, last_modified, checksum_algo, storage_class, owner, is_latest, delete_marker)
            WHERE is_latest = 1 AND delete_marker = 0;

        -- Users and their access keys; a secret is stored sealed under the master key, never in plain text.
        CREATE TABLE users (
            name         TEXT PRIMARY KEY,
            canonical_id TEXT    NOT NULL UNIQUE,
            created      INTEGER NOT NULL,
            disabled     INTEGER NOT NULL DEFAULT 0,
            policy       TEXT
        ) WITHOUT ROWID;
        CREATE TABLE access_keys (
            access_key TEXT PRIMARY KEY,
            user_name  TEXT    NOT NULL REFERENCES users(name),
            secret     BLOB    NOT NULL,
            created    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX access_keys_by_user ON access_keys(user_name);
        """,
        """
        -- Object tags, JSON (NULL: none); an upload keeps the tags its object will have.
        ALTER TABLE objects ADD COLUMN tags TEXT;
        ALTER TABLE uploads ADD COLUMN tags TEXT;
        """,
        """
        -- Where a job got to (a lifecycle pass records the last key it finished): a retry resumes there.
        ALTER TABLE jobs ADD COLUMN checkpoint TEXT;
        """,
        """
        -- How an object's (a part's) shards encode it: 0 Reed-Solomon stripes (every row before this), 1 full copies
        -- (small objects; data_shards is then 1 and parity_shards the extra copies). LayoutKind's numbers.
        ALTER TABLE objects ADD COLUMN layout_kind INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE parts ADD COLUMN layout_kind INTEGER NOT NULL DEFAULT 0;
        """,
        """
        -- Server-side encryption and compression. encryption: the object's (an upload's) mode as JSON (NULL: none).
        -- A payload (a single PUT's object, a part) that was compressed or encrypted before erasure coding has
        -- stored_size (the bytes its shards encode; NULL: size), sealed_key (its data key, sealed) and frames (its
        -- compression frame index).
        ALTER TABLE objects ADD COLUMN encryption TEXT;
        ALTER TABLE objects ADD COLUMN stored_size INTEGER;
        ALTER TABLE objects ADD COLUMN sealed_key BLOB;
        ALTER TABLE objects ADD COLUMN frames BLOB;
        ALTER TABLE uploads ADD COLUMN encryption TEXT;
        ALTER TABLE parts ADD COLUMN stored_size INTEGER;
        ALTER TABLE parts ADD COLUMN sealed_key BLOB;
        ALTER TABLE parts ADD COLUMN frames BLOB;

        -- The built-in key provider's named keys (SSE-KMS), each sealed under the master key.
        CREATE TABLE kms_keys (
            key_id  TEXT    PRIMARY KEY,
            sealed  BLOB    NOT NULL,
            created INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
    ];
}

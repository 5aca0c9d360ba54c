namespace ObjStore.Metadata.Postgres;

/// <summary>
/// Ordered migrations; schema_version holds how many have run. The first is the SQLite catalogue's schema as it stands
/// at its version 13, column for column (the rows map the same way), in PostgreSQL's types:
/// <list type="bullet">
/// <item>keys are <c>bytea</c>: bytea compares as memcmp, then length, which is SQLite's BLOB order and S3's UTF-8
/// binary order (<see cref="KeyOrder"/>);</item>
/// <item>every other text that is compared or sorted (bucket names, data ids, upload ids, user names) is
/// <c>COLLATE "C"</c>, byte order whatever the database's locale;</item>
/// <item>integers are <c>bigint</c> (SQLite's INTEGER, Dapper's long), flags stay 0/1 integers as in SQLite.</item>
/// </list>
/// </summary>
internal static class PostgresSchema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE buckets (
            name        text COLLATE "C" PRIMARY KEY,
            created     bigint NOT NULL,
            versioning  bigint NOT NULL DEFAULT 0,   -- VersioningState
            object_lock bigint NOT NULL DEFAULT 0,
            lock_mode   text,                        -- default retention
            lock_days   bigint,
            lock_years  bigint,
            owner       text COLLATE "C" NOT NULL DEFAULT ''
        );
        CREATE TABLE bucket_configs (
            bucket   text COLLATE "C" NOT NULL,
            kind     text COLLATE "C" NOT NULL,
            document text NOT NULL,
            PRIMARY KEY (bucket, kind)
        );

        -- Every version of every key, newest first by seq (assigned at commit, increasing per key), the latest flagged.
        CREATE TABLE objects (
            bucket        text COLLATE "C" NOT NULL,
            key           bytea  NOT NULL,
            seq           bigint NOT NULL,
            version_id    text COLLATE "C" NOT NULL,
            is_latest     bigint NOT NULL,
            delete_marker bigint NOT NULL DEFAULT 0,
            size          bigint NOT NULL,
            etag          text   NOT NULL,
            last_modified bigint NOT NULL,
            content_type  text,
            headers       text,
            user_meta     text,
            checksum_algo bigint NOT NULL DEFAULT 0,
            checksum      text,
            storage_class text   NOT NULL DEFAULT 'STANDARD',
            data_id       text COLLATE "C",          -- NULL for a delete marker
            data_shards   bigint NOT NULL,
            parity_shards bigint NOT NULL,
            stripe_size   bigint NOT NULL,
            placement     text   NOT NULL,
            parts_count   bigint NOT NULL DEFAULT 0,
            lock_mode     text,                      -- GOVERNANCE or COMPLIANCE, with retain_until (Unix ms)
            retain_until  bigint,
            legal_hold    bigint NOT NULL DEFAULT 0, -- 0 never set, 1 ON, 2 OFF
            acl           text,
            owner         text,
            tags          text,
            layout_kind   bigint NOT NULL DEFAULT 0,
            encryption    text,
            stored_size   bigint,
            sealed_key    bytea,
            frames        bytea
        );
        -- The key's versions newest first: a key's latest is its first entry, ListObjectVersions one range scan. (A
        -- primary key cannot be DESC; this unique index is the table's identity.)
        CREATE UNIQUE INDEX objects_by_seq ON objects(bucket, key, seq DESC);
        CREATE UNIQUE INDEX objects_by_version ON objects(bucket, key, version_id);
        CREATE INDEX objects_by_data_id ON objects(data_id);
        -- ListObjects reads only this: each key's latest version when it is not a delete marker, with every column a
        -- listing shows (index-only scans: a page never visits the heap, where a key's old versions lie).
        CREATE INDEX objects_current ON objects(bucket, key) INCLUDE (size, etag, last_modified, checksum_algo, storage_class, owner)
            WHERE is_latest = 1 AND delete_marker = 0;

        -- Shards of replaced or deleted objects, freed after the commit that orphaned them.
        CREATE TABLE pending_deletes (
            data_id       text COLLATE "C" PRIMARY KEY,
            data_shards   bigint NOT NULL,
            parity_shards bigint NOT NULL,
            placement     text   NOT NULL,
            enqueued      bigint NOT NULL
        );

        -- Upload ids begin with the initiation time in hex, so (key, upload_id) is S3's (key, initiated) order.
        CREATE TABLE uploads (
            upload_id     text COLLATE "C" PRIMARY KEY,
            bucket        text COLLATE "C" NOT NULL,
            key           bytea  NOT NULL,
            initiated     bigint NOT NULL,
            content_type  text,
            headers       text,
            user_meta     text,
            checksum_algo bigint NOT NULL DEFAULT 0,
            storage_class text   NOT NULL DEFAULT 'STANDARD',
            version_id    text COLLATE "C" NOT NULL DEFAULT 'null',
            lock_mode     text,
            retain_until  bigint,
            legal_hold    bigint NOT NULL DEFAULT 0,
            acl           text,
            owner         text,
            tags          text,
            encryption    text
        );
        CREATE INDEX uploads_by_key ON uploads(bucket, key, upload_id);
        CREATE INDEX uploads_by_age ON uploads(initiated);

        -- Parts of uploads in progress and of completed multipart objects (then upload_id = objects.data_id).
        CREATE TABLE parts (
            upload_id     text COLLATE "C" NOT NULL,
            part_number   bigint NOT NULL,
            size          bigint NOT NULL,
            etag          text   NOT NULL,
            checksum      text,
            last_modified bigint NOT NULL,
            data_id       text COLLATE "C" NOT NULL,
            data_shards   bigint NOT NULL,
            parity_shards bigint NOT NULL,
            stripe_size   bigint NOT NULL,
            placement     text   NOT NULL,
            layout_kind   bigint NOT NULL DEFAULT 0,
            stored_size   bigint,
            sealed_key    bytea,
            frames        bytea,
            PRIMARY KEY (upload_id, part_number)
        );
        CREATE INDEX parts_by_data_id ON parts(data_id);

        CREATE TABLE degraded_shards (
            data_id     text COLLATE "C" NOT NULL,
            shard_index bigint NOT NULL,
            store_id    text   NOT NULL,
            reason      text   NOT NULL,
            recorded    bigint NOT NULL,
            PRIMARY KEY (data_id, shard_index)
        );
        CREATE INDEX degraded_by_age ON degraded_shards(recorded);

        CREATE TABLE jobs (
            id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            kind         text COLLATE "C" NOT NULL,
            target       text COLLATE "C" NOT NULL,
            state        text   NOT NULL,
            priority     bigint NOT NULL DEFAULT 0,
            attempts     bigint NOT NULL DEFAULT 0,
            max_attempts bigint NOT NULL DEFAULT 3,
            items_done   bigint NOT NULL DEFAULT 0,
            items_total  bigint NOT NULL DEFAULT 0,
            bytes_done   bigint NOT NULL DEFAULT 0,
            bytes_total  bigint NOT NULL DEFAULT 0,
            last_error   text,
            result       text,
            checkpoint   text,
            lease_owner  text COLLATE "C",
            lease_expiry bigint,
            assigned_to  text COLLATE "C",
            not_before   bigint NOT NULL DEFAULT 0,
            created      bigint NOT NULL,
            finished     bigint
        );
        CREATE INDEX jobs_by_state ON jobs(state, priority DESC, id);

        CREATE TABLE store_states (
            store_id text COLLATE "C" PRIMARY KEY,
            state    text   NOT NULL,
            changed  bigint NOT NULL
        );
        CREATE TABLE workers (
            id                  text COLLATE "C" PRIMARY KEY,
            kinds               text   NOT NULL,   -- comma-separated job kinds
            holds               text,              -- the store on the worker's own disk (a node), NULL for a gateway
            io_bytes_per_second bigint NOT NULL,
            disk_free_ratio     double precision,
            heartbeat           bigint NOT NULL
        );
        CREATE TABLE store_instances (
            store_id text COLLATE "C" PRIMARY KEY,
            instance text   NOT NULL,
            seen     bigint NOT NULL
        );

        CREATE TABLE users (
            name         text COLLATE "C" PRIMARY KEY,
            canonical_id text COLLATE "C" NOT NULL UNIQUE,
            created      bigint NOT NULL,
            disabled     bigint NOT NULL DEFAULT 0,
            policy       text
        );
        CREATE TABLE access_keys (
            access_key text COLLATE "C" PRIMARY KEY,
            user_name  text COLLATE "C" NOT NULL REFERENCES users(name),
            secret     bytea  NOT NULL,
            created    bigint NOT NULL
        );
        CREATE INDEX access_keys_by_user ON access_keys(user_name);

        CREATE TABLE kms_keys (
            key_id  text COLLATE "C" PRIMARY KEY,
            sealed  bytea  NOT NULL,
            created bigint NOT NULL
        );
        """,
        """
        -- PostgreSQL's own, no SQLite twin: the progress of `objstore migrate-catalogue`, one row per table copied from
        -- a SQLite catalogue. Kept once verified, as the record of where the catalogue came from; while a row is not
        -- verified, gateways refuse the catalogue (PostgresCatalogue).
        CREATE TABLE catalogue_migration (
            table_name text COLLATE "C" PRIMARY KEY,
            source     text   NOT NULL,
            copied     bigint NOT NULL DEFAULT 0,   -- rows committed, in the table's key order
            complete   bigint NOT NULL DEFAULT 0,
            verified   bigint                       -- Unix ms of the verification that found every table equal
        );
        """,
    ];

    /// <summary>
    /// The catalogue's tables, parents before children (access_keys names users), each with the columns that order
    /// its rows uniquely, in its index's directions (its primary key, or objects' unique (bucket, key, seq DESC)): what
    /// a backup and a migration copy.
    /// </summary>
    public static readonly CatalogueTable[] Tables =
    [
        new("buckets", "name"), new("bucket_configs", "bucket", "kind"), new("objects", "bucket", "key", "seq DESC"),
        new("pending_deletes", "data_id"), new("uploads", "upload_id"), new("parts", "upload_id", "part_number"),
        new("degraded_shards", "data_id", "shard_index"), new("jobs", "id"), new("store_states", "store_id"),
        new("workers", "id"), new("store_instances", "store_id"), new("users", "name"), new("access_keys", "access_key"),
        new("kms_keys", "key_id"),
    ];
}

/// <summary>A catalogue table and the columns of its key, in order, each followed by " DESC" where its index descends.</summary>
internal sealed record CatalogueTable(string Name, params string[] Key);

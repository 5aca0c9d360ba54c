using System.Text.Json;
using ObjStore.Core;
using ObjStore.Core.Jobs;

namespace ObjStore.Metadata.Sqlite;

#pragma warning disable IDE1006, CA1707 // names mirror the SQL columns
/// <summary>The objects row as Dapper maps it (column names verbatim).</summary>
internal sealed class ObjectRow
{
    public const string Columns = "bucket, key, seq, version_id, is_latest, delete_marker, size, etag, last_modified, content_type, headers, user_meta, checksum_algo, checksum, storage_class, data_id, data_shards, parity_shards, stripe_size, placement, parts_count, lock_mode, retain_until, legal_hold, acl, owner, tags, layout_kind, encryption, stored_size, sealed_key, frames";
    public const string Parameters = "@bucket, @key, @seq, @version_id, @is_latest, @delete_marker, @size, @etag, @last_modified, @content_type, @headers, @user_meta, @checksum_algo, @checksum, @storage_class, @data_id, @data_shards, @parity_shards, @stripe_size, @placement, @parts_count, @lock_mode, @retain_until, @legal_hold, @acl, @owner, @tags, @layout_kind, @encryption, @stored_size, @sealed_key, @frames";
    public const string SummaryColumns = "key, size, etag, last_modified, checksum_algo, storage_class, owner";
    public const string EntryColumns = "key, seq, version_id, is_latest, delete_marker, size, last_modified, lock_mode, retain_until, legal_hold, tags";
    public const string VersionSummaryColumns = "key, seq, version_id, is_latest, delete_marker, size, etag, last_modified, checksum_algo, storage_class, owner";

    public string bucket { get; set; } = "";
    public byte[] key { get; set; } = [];
    public long seq { get; set; }
    public string version_id { get; set; } = VersionIds.Null;
    public long is_latest { get; set; }
    public long delete_marker { get; set; }
    public long size { get; set; }
    public string etag { get; set; } = "";
    public long last_modified { get; set; }
    public string? content_type { get; set; }
    public string? headers { get; set; }
    public string? user_meta { get; set; }
    public long checksum_algo { get; set; }
    public string? checksum { get; set; }
    public string storage_class { get; set; } = "STANDARD";
    public string? data_id { get; set; }
    public long data_shards { get; set; }
    public long parity_shards { get; set; }
    public long stripe_size { get; set; }
    public string placement { get; set; } = "";
    public long parts_count { get; set; }
    public string? lock_mode { get; set; }
    public long? retain_until { get; set; }
    public long legal_hold { get; set; }
    public string? acl { get; set; }
    public string? owner { get; set; }
    public string? tags { get; set; }
    public long layout_kind { get; set; }
    public string? encryption { get; set; }
    public long? stored_size { get; set; }
    public byte[]? sealed_key { get; set; }
    public byte[]? frames { get; set; }

    /// <summary>Read only by <c>Statements.ReadLatest</c> and <c>Statements.ReadVersion</c>: the bucket's versioning, with the row.</summary>
    public long bucket_versioning { get; set; }

    public bool IsDeleteMarker => delete_marker != 0;

    public ObjectLock Lock => Rows.Lock(lock_mode, retain_until, legal_hold);

    /// <summary>
    /// A single-PUT object keeps its one layout in the row; a multipart one names its upload instead; a delete marker
    /// has neither. The sequence and latest flag are the catalogue's (<c>Statements.AddVersion</c>, in each backend).
    /// </summary>
    public static ObjectRow From(ObjectInfo info)
    {
        var layout = info.Parts.Count > 0 && !info.IsMultipart ? info.Parts[0].Layout : null;
        var encoding = info.Parts.Count > 0 && !info.IsMultipart ? info.Parts[0].Encoding : null;
        var (lockMode, retainUntil, legalHold) = Rows.LockColumns(info.Lock);
        return new()
        {
            bucket = info.Bucket,
            key = KeyOrder.Bytes(info.Key),
            version_id = info.VersionId,
            delete_marker = info.IsDeleteMarker ? 1 : 0,
            lock_mode = lockMode,
            retain_until = retainUntil,
            legal_hold = legalHold,
            acl = info.Acl,
            owner = info.Owner,
            tags = Rows.Json(info.Tags),
            size = info.Size,
            etag = info.ETag,
            last_modified = info.LastModified.ToUnixTimeMilliseconds(),
            content_type = info.Metadata.ContentType,
            headers = Rows.Json(info.Metadata.Headers),
            user_meta = Rows.Json(info.Metadata.UserMetadata),
            checksum_algo = (long)info.Metadata.ChecksumAlgorithm,
            checksum = info.Checksum,
            storage_class = info.Metadata.StorageClass,
            data_id = info.IsMultipart ? info.UploadId! : layout?.DataId,
            data_shards = layout?.DataShards ?? 0,
            parity_shards = layout?.ParityShards ?? 0,
            stripe_size = layout?.StripeSize ?? 0,
            layout_kind = (long)(layout?.Kind ?? LayoutKind.Striped),
            placement = layout is null ? "" : string.Join(',', layout.Placement),
            parts_count = info.IsMultipart ? info.Parts.Count : 0,
            encryption = Rows.Encryption(info.Metadata.Encryption),
            stored_size = encoding?.StoredSize,
            sealed_key = encoding?.SealedKey,
            frames = encoding?.Frames,
        };
    }

    public ObjectInfo ToInfo(IReadOnlyList<ObjectPart>? parts)
    {
        var lastModified = DateTimeOffset.FromUnixTimeMilliseconds(last_modified);
        return new()
        {
            Bucket = bucket,
            Key = KeyOrder.Text(key),
            Size = size,
            ETag = etag,
            LastModified = lastModified,
            Metadata = Rows.Metadata(content_type, headers, user_meta, checksum_algo, storage_class, encryption),
            Checksum = checksum,
            IsMultipart = parts is not null,
            UploadId = parts is not null ? data_id : null,
            VersionId = version_id,
            IsDeleteMarker = IsDeleteMarker,
            IsLatest = is_latest != 0,
            Lock = Lock,
            Acl = acl,
            Owner = owner,
            Tags = Rows.Tags(tags),
            BucketVersioning = (VersioningState)bucket_versioning,
            Parts = parts ?? (IsDeleteMarker ? [] :
            [
                new ObjectPart(1, 0, size, etag, checksum,
                    new ObjectLayout((int)data_shards, (int)parity_shards, (int)stripe_size, data_id!, placement.Split(',')) { Kind = (LayoutKind)layout_kind })
                { LastModified = lastModified, Encoding = Rows.Encoding(stored_size, sealed_key, frames) },
            ]),
        };
    }

    public ObjectSummary ToSummary() => new(
        KeyOrder.Text(key), size, etag, DateTimeOffset.FromUnixTimeMilliseconds(last_modified), storage_class,
        (ChecksumAlgorithm)checksum_algo) { Owner = owner };

    public VersionSummary ToVersionSummary() => new(ToSummary(), version_id, is_latest != 0, IsDeleteMarker);

    public VersionEntry ToVersionEntry() => new(
        KeyOrder.Text(key), seq, version_id, is_latest != 0, IsDeleteMarker, size, DateTimeOffset.FromUnixTimeMilliseconds(last_modified))
    {
        Lock = Lock,
        Tags = Rows.Tags(tags),
    };
}

/// <summary>The parts row.</summary>
internal sealed class PartRow
{
    public const string Columns = "upload_id, part_number, size, etag, checksum, last_modified, data_id, data_shards, parity_shards, stripe_size, placement, layout_kind, stored_size, sealed_key, frames";
    public const string Parameters = "@upload_id, @part_number, @size, @etag, @checksum, @last_modified, @data_id, @data_shards, @parity_shards, @stripe_size, @placement, @layout_kind, @stored_size, @sealed_key, @frames";

    public string upload_id { get; set; } = "";
    public long part_number { get; set; }
    public long size { get; set; }
    public string etag { get; set; } = "";
    public string? checksum { get; set; }
    public long last_modified { get; set; }
    public string data_id { get; set; } = "";
    public long data_shards { get; set; }
    public long parity_shards { get; set; }
    public long stripe_size { get; set; }
    public string placement { get; set; } = "";
    public long layout_kind { get; set; }
    public long? stored_size { get; set; }
    public byte[]? sealed_key { get; set; }
    public byte[]? frames { get; set; }

    public ObjectLayout Layout => new((int)data_shards, (int)parity_shards, (int)stripe_size, data_id, placement.Split(',')) { Kind = (LayoutKind)layout_kind };

    public ObjectPart ToPart(long offset) =>
        new((int)part_number, offset, size, etag, checksum, Layout)
        {
            LastModified = DateTimeOffset.FromUnixTimeMilliseconds(last_modified),
            Encoding = Rows.Encoding(stored_size, sealed_key, frames),
        };

    public static PartRow From(string uploadId, ObjectPart part) => new()
    {
        upload_id = uploadId,
        part_number = part.Number,
        size = part.Size,
        etag = part.ETag,
        checksum = part.Checksum,
        last_modified = part.LastModified.ToUnixTimeMilliseconds(),
        data_id = part.Layout.DataId,
        data_shards = part.Layout.DataShards,
        parity_shards = part.Layout.ParityShards,
        stripe_size = part.Layout.StripeSize,
        placement = string.Join(',', part.Layout.Placement),
        layout_kind = (long)part.Layout.Kind,
        stored_size = part.Encoding?.StoredSize,
        sealed_key = part.Encoding?.SealedKey,
        frames = part.Encoding?.Frames,
    };

    /// <summary>Parts in number order, each placed after the previous one.</summary>
    public static List<ObjectPart> WithOffsets(IEnumerable<PartRow> rows)
    {
        var parts = new List<ObjectPart>();
        long offset = 0;
        foreach (var row in rows)
        {
            parts.Add(row.ToPart(offset));
            offset += row.size;
        }
        return parts;
    }
}

internal sealed class UploadRow
{
    public const string Columns = "upload_id, bucket, key, initiated, content_type, headers, user_meta, checksum_algo, storage_class, version_id, lock_mode, retain_until, legal_hold, acl, owner, tags, encryption";
    public const string Parameters = "@upload_id, @bucket, @key, @initiated, @content_type, @headers, @user_meta, @checksum_algo, @storage_class, @version_id, @lock_mode, @retain_until, @legal_hold, @acl, @owner, @tags, @encryption";

    public string upload_id { get; set; } = "";
    public string bucket { get; set; } = "";
    public byte[] key { get; set; } = [];
    public long initiated { get; set; }
    public string? content_type { get; set; }
    public string? headers { get; set; }
    public string? user_meta { get; set; }
    public long checksum_algo { get; set; }
    public string storage_class { get; set; } = "STANDARD";
    public string version_id { get; set; } = VersionIds.Null;
    public string? lock_mode { get; set; }
    public long? retain_until { get; set; }
    public long legal_hold { get; set; }
    public string? acl { get; set; }
    public string? owner { get; set; }
    public string? tags { get; set; }
    public string? encryption { get; set; }

    public static UploadRow From(MultipartUpload upload)
    {
        var (lockMode, retainUntil, legalHold) = Rows.LockColumns(upload.Lock);
        return new()
        {
            upload_id = upload.UploadId,
            bucket = upload.Bucket,
            key = KeyOrder.Bytes(upload.Key),
            initiated = upload.Initiated.ToUnixTimeMilliseconds(),
            content_type = upload.Metadata.ContentType,
            headers = Rows.Json(upload.Metadata.Headers),
            user_meta = Rows.Json(upload.Metadata.UserMetadata),
            checksum_algo = (long)upload.Metadata.ChecksumAlgorithm,
            storage_class = upload.Metadata.StorageClass,
            version_id = upload.VersionId,
            lock_mode = lockMode,
            retain_until = retainUntil,
            legal_hold = legalHold,
            acl = upload.Acl,
            owner = upload.Owner,
            tags = Rows.Json(upload.Tags),
            encryption = Rows.Encryption(upload.Metadata.Encryption),
        };
    }

    public MultipartUpload ToUpload() => new()
    {
        UploadId = upload_id,
        Bucket = bucket,
        Key = KeyOrder.Text(key),
        Initiated = DateTimeOffset.FromUnixTimeMilliseconds(initiated),
        Metadata = Rows.Metadata(content_type, headers, user_meta, checksum_algo, storage_class, encryption),
        VersionId = version_id,
        Lock = Rows.Lock(lock_mode, retain_until, legal_hold),
        Acl = acl,
        Owner = owner,
        Tags = Rows.Tags(tags),
    };
}

internal sealed class BucketRow
{
    public const string Columns = "name, created, versioning, object_lock, lock_mode, lock_days, lock_years, owner";

    public string name { get; set; } = "";
    public long created { get; set; }
    public long versioning { get; set; }
    public long object_lock { get; set; }
    public string? lock_mode { get; set; }
    public long? lock_days { get; set; }
    public long? lock_years { get; set; }
    public string owner { get; set; } = "";

    public BucketInfo ToInfo(IReadOnlyDictionary<string, string>? configs = null) => new(name, DateTimeOffset.FromUnixTimeMilliseconds(created))
    {
        Owner = owner,
        Configs = configs ?? new Dictionary<string, string>(),
        Versioning = (VersioningState)versioning,
        ObjectLockEnabled = object_lock != 0,
        DefaultRetention = lock_mode is null ? null : new DefaultRetention(Rows.Mode(lock_mode), (int?)lock_days, (int?)lock_years),
    };
}

internal sealed record JobRow
{
    public long id { get; init; }
    public string kind { get; init; } = "";
    public string target { get; init; } = "";
    public string state { get; init; } = "";
    public long priority { get; init; }
    public long attempts { get; init; }
    public long max_attempts { get; init; }
    public long items_done { get; init; }
    public long items_total { get; init; }
    public long bytes_done { get; init; }
    public long bytes_total { get; init; }
    public string? last_error { get; init; }
    public string? result { get; init; }
    public string? checkpoint { get; init; }
    public string? lease_owner { get; init; }
    public long? lease_expiry { get; init; }
    public string? assigned_to { get; init; }
    public long created { get; init; }
    public long? finished { get; init; }

    public JobInfo ToJob() => new()
    {
        Id = id,
        Kind = kind,
        Target = target,
        State = state,
        Priority = (int)priority,
        Attempts = (int)attempts,
        MaxAttempts = (int)max_attempts,
        ItemsDone = items_done,
        ItemsTotal = items_total,
        BytesDone = bytes_done,
        BytesTotal = bytes_total,
        LastError = last_error,
        Result = result,
        Checkpoint = checkpoint,
        LeaseOwner = lease_owner,
        LeaseExpiry = lease_expiry is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
        AssignedTo = assigned_to,
        Created = DateTimeOffset.FromUnixTimeMilliseconds(created),
        Finished = finished is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
    };
}

internal sealed record WorkerRow
{
    public string id { get; init; } = "";
    public string kinds { get; init; } = "";
    public string? holds { get; init; }
    public long io_bytes_per_second { get; init; }
    public double? disk_free_ratio { get; init; }
    public long heartbeat { get; init; }
    public long running { get; init; }
    public long queued { get; init; }

    public WorkerLoad ToLoad() => new(
        new WorkerInfo(id, kinds.Split(',', StringSplitOptions.RemoveEmptyEntries), holds, io_bytes_per_second, disk_free_ratio),
        (int)running, (int)queued, DateTimeOffset.FromUnixTimeMilliseconds(heartbeat));
}

internal static class Rows
{
    public static string? Json(IReadOnlyDictionary<string, string> values) => values.Count == 0 ? null : JsonSerializer.Serialize(values);

    public static Dictionary<string, string> Dictionary(string? json) =>
        json is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;

    private static readonly IReadOnlyDictionary<string, string> NoTags = new Dictionary<string, string>();

    /// <summary>Most versions have no tags: they share one empty dictionary rather than each allocating one per read.</summary>
    public static IReadOnlyDictionary<string, string> Tags(string? json) => json is null ? NoTags : Dictionary(json);

    public static ObjectMetadata Metadata(
        string? contentType, string? headers, string? userMetadata, long checksumAlgorithm, string storageClass, string? encryption) => new()
    {
        ContentType = contentType,
        Headers = Dictionary(headers),
        UserMetadata = Dictionary(userMetadata),
        ChecksumAlgorithm = (ChecksumAlgorithm)checksumAlgorithm,
        StorageClass = storageClass,
        Encryption = encryption is null ? null : JsonSerializer.Deserialize<ObjectEncryption>(encryption),
    };

    /// <summary>The encryption column: JSON of the record (property names are stored: never rename them).</summary>
    public static string? Encryption(ObjectEncryption? encryption) => encryption is null ? null : JsonSerializer.Serialize(encryption);

    public static PartEncoding? Encoding(long? storedSize, byte[]? sealedKey, byte[]? frames) =>
        storedSize is { } stored ? new PartEncoding(stored) { SealedKey = sealedKey, Frames = frames } : null;

    public static string Placement(ObjectLayout layout) => string.Join(',', layout.Placement);

    /// <summary>A stored mode; an unknown one is a damaged row, never read as the weaker mode.</summary>
    public static RetentionMode Mode(string name) =>
        RetentionModes.Parse(name) ?? throw new InvalidDataException($"The catalogue holds an unknown retention mode '{name}'.");

    /// <summary>legal_hold: 0 never set, 1 ON, 2 OFF.</summary>
    public static (string? Mode, long? RetainUntil, long LegalHold) LockColumns(ObjectLock objectLock) =>
        (objectLock.Retention is { } r ? RetentionModes.Name(r.Mode) : null, objectLock.Retention?.RetainUntil.ToUnixTimeMilliseconds(),
            objectLock.LegalHold switch { null => 0, true => 1, false => 2 });

    public static ObjectLock Lock(string? mode, long? retainUntil, long legalHold) =>
        mode is null && legalHold == 0 ? ObjectLock.None
        : new(mode is null || retainUntil is null ? null : new ObjectRetention(Mode(mode), DateTimeOffset.FromUnixTimeMilliseconds(retainUntil.Value)),
            legalHold switch { 0 => null, 1 => true, _ => false });
}
#pragma warning restore IDE1006, CA1707

using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// The bucket operations: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, and the bucket's
/// versioning and Object Lock configuration.
/// </summary>
internal sealed class BucketHandler(IObjectLayer objects, S3Options options, RequestBodies bodies, BucketSettingsCache settings, S3Authorizer authorizer)
{
    /// <summary>
    /// The caller's buckets: those it owns and those it may list (the root user sees all), in name order, paged by
    /// max-buckets and an opaque continuation token, filtered by prefix.
    /// </summary>
    public async Task ListBucketsAsync(Call call, CancellationToken ct)
    {
        var q = call.Request;
        int maxBuckets = q.QueryInt("max-buckets", 10_000);
        if (maxBuckets is < 1 or > 10_000)
        {
            throw new S3Exception(S3Error.InvalidArgument, "max-buckets must be an integer between 1 and 10000")
            {
                Details = [new("ArgumentName", "max-buckets"), new("ArgumentValue", q.QueryValue("max-buckets")!)],
            };
        }
        string prefix = q.QueryValue("prefix") ?? "";
        string? after = q.QueryValue("continuation-token") is { Length: > 0 } token ? DecodeToken(token) : null;
        string? region = q.QueryValue("bucket-region");
        if (region is not null && region != options.Region)
        {
            await WriteXmlAsync(call.Response, El("ListAllMyBucketsResult", Owner(call.Auth.Principal), El("Buckets"), El("Prefix", prefix.Length > 0 ? prefix : null)));
            return;
        }
        var principal = call.Auth.Principal;
        var listed = new List<BucketInfo>();
        bool truncated = false;
        foreach (var bucket in await objects.ListBucketsAsync(ct))
        {
            if (Naming.IsSystemBucket(bucket.Name) || !bucket.Name.StartsWith(prefix, StringComparison.Ordinal)
                || (after is not null && string.CompareOrdinal(bucket.Name, after) <= 0))
            {
                continue;
            }
            if (principal.Kind != PrincipalKind.Root && authorizer.OwnerOf(bucket) != principal.CanonicalId
                && !await authorizer.IsAllowedAsync(call, "s3:ListBucket", bucket.Name, ct))
            {
                continue;
            }
            if (listed.Count == maxBuckets)
            {
                truncated = true;
                break;
            }
            listed.Add(bucket);
        }
        await WriteXmlAsync(call.Response, El("ListAllMyBucketsResult",
            Owner(principal),
            El("Buckets", listed.Select(b => El("Bucket", El("Name", b.Name), El("CreationDate", Timestamp(b.Created)), El("BucketRegion", options.Region)))),
            truncated ? El("ContinuationToken", EncodeToken(listed[^1].Name)) : null,
            q.QueryValue("prefix") is not null ? El("Prefix", prefix) : null));
    }

    private static string EncodeToken(string bucket) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(bucket));

    private static string DecodeToken(string token)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException)
        {
            throw new S3Exception(S3Error.InvalidArgument, "The continuation token provided is incorrect")
            {
                Details = [new("ArgumentName", "continuation-token"), new("ArgumentValue", token)],
            };
        }
    }

    public async Task CreateBucketAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length > 0)
        {
            var configuration = Parse(body);
            if (configuration.Name.LocalName != "CreateBucketConfiguration")
            {
                throw new S3Exception(S3Error.MalformedXML);
            }
            string? location = ChildValue(configuration, "LocationConstraint");
            if (!string.IsNullOrEmpty(location) && location != options.Region)
            {
                throw new S3Exception(S3Error.InvalidLocationConstraint,
                    $"The specified location-constraint is not valid: this endpoint serves {options.Region}.");
            }
        }
        bool objectLock = string.Equals(call.Http.Headers["x-amz-bucket-object-lock-enabled"].ToString(), "true", StringComparison.OrdinalIgnoreCase);
        var principal = call.Auth.Principal;
        string ownerId = principal.CanonicalId;
        if (options.Region == "us-east-1" && await settings.GetAsync(call.Bucket, ct) is { } existing && authorizer.OwnerOf(existing.Info) == ownerId)
        {
            // AWS, for legacy compatibility: re-creating a bucket one owns in us-east-1 succeeds and resets its ACL, to
            // what the request asks as far as the bucket's own ownership and public access block allow.
            var acl = AclHeaders.Parse(call.Http.Headers, ownerId, ownerId) ?? AccessControlList.Private(ownerId);
            AccessHandler.CheckAllowed(acl, authorizer.AccessOf(existing));
            await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Acl, acl.ToJson(), ct);
            call.Response.Headers.Location = "/" + call.Bucket;
            return;
        }
        var configs = NewBucketConfigs(call, ownerId);
        // The root user's buckets record "" as their owner, so they stay the root's whatever its key becomes.
        await objects.CreateBucketAsync(call.Bucket, objectLock, principal.Kind == PrincipalKind.Root ? "" : ownerId, configs, ct);
        settings.Invalidate(call.Bucket);
        call.Response.Headers.Location = "/" + call.Bucket;
    }

    /// <summary>
    /// What a new bucket starts with, as AWS does since April 2023: ownership BucketOwnerEnforced (ACLs disabled)
    /// unless x-amz-object-ownership says otherwise, every public access block setting on (configurable), and the ACL
    /// the headers ask for (only an owner-only one when ACLs are disabled).
    /// </summary>
    private Dictionary<string, string> NewBucketConfigs(Call call, string ownerId)
    {
        var headers = call.Http.Headers;
        string ownershipHeader = headers["x-amz-object-ownership"].ToString();
        var ownership = ownershipHeader.Length == 0 ? ObjectOwnership.BucketOwnerEnforced
            : ObjectOwnerships.TryParse(ownershipHeader, out var parsed) ? parsed
            : throw new S3Exception(S3Error.InvalidArgument, "Invalid x-amz-object-ownership header: " + ownershipHeader)
            {
                Details = [new("ArgumentName", "x-amz-object-ownership"), new("ArgumentValue", ownershipHeader)],
            };
        var acl = AclHeaders.Parse(headers, ownerId, ownerId) ?? AccessControlList.Private(ownerId);
        if (ownership == ObjectOwnership.BucketOwnerEnforced && !AclHeaders.IsOwnerOnly(acl, ownerId))
        {
            throw new S3Exception(S3Error.InvalidBucketAclWithObjectOwnership);
        }
        var configs = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [BucketConfigKinds.OwnershipControls] = ownership.ToString(),
            [BucketConfigKinds.Acl] = acl.ToJson(),
        };
        if (options.BlockPublicAccessOnNewBuckets)
        {
            if (acl.IsPublic)
            {
                throw new S3Exception(S3Error.AccessDenied, "Public ACLs are blocked by the BlockPublicAcls block public access setting new buckets start with.");
            }
            configs[BucketConfigKinds.PublicAccessBlock] = System.Text.Json.JsonSerializer.Serialize(PublicAccessBlock.All);
        }
        return configs;
    }

    public async Task DeleteBucketAsync(Call call, CancellationToken ct)
    {
        try
        {
            await objects.DeleteBucketAsync(call.Bucket, ct);
        }
        catch (ObjectStoreException e) when (e.Kind == ErrorKind.NoSuchBucket)
        {
            settings.Invalidate(call.Bucket); // gone already (through another gateway): what is cached is stale
            throw;
        }
        settings.Invalidate(call.Bucket);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task HeadBucketAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        call.Response.Headers["x-amz-bucket-region"] = options.Region;
    }

    /// <summary>A bucket whose versioning was never enabled answers an empty configuration, as S3 does.</summary>
    public async Task GetBucketVersioningAsync(Call call, CancellationToken ct)
    {
        var bucket = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("VersioningConfiguration",
            bucket.Versioning == VersioningState.Unversioned ? null : El("Status", bucket.Versioning.ToString())));
    }

    /// <summary>Enabled or Suspended; MFA delete is not supported, so a configuration asking for it is refused.</summary>
    public async Task PutBucketVersioningAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var root = Parse(body);
        if (root.Name.LocalName != "VersioningConfiguration" || root.Elements().Any(e => e.Name.LocalName is not ("Status" or "MfaDelete")))
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        switch (ChildValue(root, "MfaDelete"))
        {
            case null or "" or "Disabled" when !call.Http.Headers.ContainsKey("x-amz-mfa"):
                break;
            case null or "" or "Disabled" or "Enabled":
                throw new S3Exception(S3Error.NotImplemented, "MFA delete is not supported by this store.");
            default:
                throw new S3Exception(S3Error.MalformedXML);
        }
        var state = Children(root, "Status").ToList() switch
        {
            [] => throw new S3Exception(S3Error.IllegalVersioningConfigurationException),
            [{ Value: "" }] => throw new S3Exception(S3Error.IllegalVersioningConfigurationException),
            [{ Value: "Enabled" }] => VersioningState.Enabled,
            [{ Value: "Suspended" }] => VersioningState.Suspended,
            _ => throw new S3Exception(S3Error.MalformedXML),
        };
        await objects.SetBucketVersioningAsync(call.Bucket, state, ct);
    }

    public async Task GetObjectLockConfigurationAsync(Call call, CancellationToken ct)
    {
        var bucket = await objects.RequireBucketAsync(call.Bucket, ct);
        if (!bucket.ObjectLockEnabled)
        {
            throw new S3Exception(S3Error.ObjectLockConfigurationNotFoundError);
        }
        await WriteXmlAsync(call.Response, ObjectLockProtocol.Configuration(bucket.DefaultRetention));
    }

    public async Task PutObjectLockConfigurationAsync(Call call, CancellationToken ct)
    {
        ObjectLockProtocol.RequireIntegrity(call.Http.Headers);
        var retention = ObjectLockProtocol.ParseConfiguration(Parse(await bodies.ReadSmallAsync(call, ct)));
        await objects.SetObjectLockConfigurationAsync(call.Bucket, retention, ct);
    }

    public async Task GetBucketLocationAsync(Call call, CancellationToken ct)
    {
        _ = await objects.RequireBucketAsync(call.Bucket, ct);
        await WriteXmlAsync(call.Response, El("LocationConstraint", options.Region == "us-east-1" ? null : options.Region));
    }
}

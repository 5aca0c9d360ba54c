using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
using ObjStore.Access.Policies;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Handlers;

/// <summary>
/// A bucket's access configuration: its policy (and policy status), ACLs of buckets and objects, Object Ownership and
/// the public access block. Permission to call these is authorization's; this checks what the documents may say.
/// </summary>
internal sealed class AccessHandler(IObjectLayer objects, BucketSettingsCache settings, S3Authorizer authorizer, ICredentialStore identities, RequestBodies bodies)
{
    /// <summary>AWS's limit on a bucket policy.</summary>
    public const int MaxPolicyBytes = 20 * 1024;

    public async Task GetBucketPolicyAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call, ct);
        var policy = bucket.Document(BucketConfigKinds.Policy) ?? throw new S3Exception(S3Error.NoSuchBucketPolicy);
        var bytes = Encoding.UTF8.GetBytes(policy);
        call.Response.ContentType = "application/json";
        call.Response.ContentLength = bytes.Length;
        await call.Response.Body.WriteAsync(bytes, ct);
    }

    public async Task PutBucketPolicyAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call, ct);
        if (call.Http.ContentLength > MaxPolicyBytes)
        {
            throw new S3Exception(S3Error.MalformedPolicy, "Policies must be no larger than 20 KB.");
        }
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        if (body.Length > MaxPolicyBytes)
        {
            throw new S3Exception(S3Error.MalformedPolicy, "Policies must be no larger than 20 KB.");
        }
        string text = Encoding.UTF8.GetString(body);
        PolicyDocument policy;
        try
        {
            policy = PolicyDocument.Parse(text, PolicyKind.Resource);
        }
        catch (MalformedPolicyException e)
        {
            throw new S3Exception(S3Error.MalformedPolicy, e.Message);
        }
        if (!policy.AppliesOnlyTo(call.Bucket))
        {
            throw new S3Exception(S3Error.MalformedPolicy, "Policy has invalid resource");
        }
        if (policy.IsPublic && authorizer.AccessOf(bucket).PublicAccessBlock.BlockPublicPolicy)
        {
            throw new S3Exception(S3Error.AccessDenied, "User is not authorized to perform: s3:PutBucketPolicy because public policies are blocked by the BlockPublicPolicy block public access setting.");
        }
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Policy, text, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task DeleteBucketPolicyAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.Policy, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task GetBucketPolicyStatusAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call, ct);
        var policy = authorizer.AccessOf(bucket).Policy ?? throw new S3Exception(S3Error.NoSuchBucketPolicy);
        await WriteXmlAsync(call.Response, El("PolicyStatus", El("IsPublic", policy.IsPublic ? "true" : "false")));
    }

    public async Task GetBucketAclAsync(Call call, CancellationToken ct)
    {
        var access = authorizer.AccessOf(await RequireAsync(call, ct));
        await WriteXmlAsync(call.Response, AclXml.Write(access.Acl, identities.DisplayName));
    }

    public async Task PutBucketAclAsync(Call call, CancellationToken ct)
    {
        var access = authorizer.AccessOf(await RequireAsync(call, ct));
        var acl = await RequestedAclAsync(call, access.OwnerId, access.OwnerId, ct);
        CheckAllowed(acl, access);
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Acl, acl.ToJson(), ct);
    }

    public async Task GetObjectAclAsync(Call call, CancellationToken ct)
    {
        var access = authorizer.AccessOf(await RequireAsync(call, ct));
        var version = await objects.ReadableVersionAsync(call.Bucket, call.Key, call.Request.QueryValue("versionId"), ct);
        Versions.WriteReadHeader(call.Response, version);
        await WriteXmlAsync(call.Response, AclXml.Write(ObjectAcl(version, access), identities.DisplayName));
    }

    public async Task PutObjectAclAsync(Call call, CancellationToken ct)
    {
        var access = authorizer.AccessOf(await RequireAsync(call, ct));
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        var version = await objects.ReadableVersionAsync(call.Bucket, call.Key, call.Request.QueryValue("versionId"), ct);
        var acl = await RequestedAclAsync(call, ObjectAcl(version, access).OwnerId, access.OwnerId, ct);
        CheckAllowed(acl, access);
        string id = await objects.SetObjectAclAsync(call.Bucket, call.Key, versionId ?? version.VersionId, acl.ToJson(), ct);
        if (version.BucketVersioning != VersioningState.Unversioned)
        {
            call.Response.Headers["x-amz-version-id"] = id;
        }
    }

    public async Task GetBucketOwnershipControlsAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call, ct);
        var ownership = bucket.Document(BucketConfigKinds.OwnershipControls) ?? throw new S3Exception(S3Error.OwnershipControlsNotFoundError);
        await WriteXmlAsync(call.Response, El("OwnershipControls", El("Rule", El("ObjectOwnership", ownership))));
    }

    public async Task PutBucketOwnershipControlsAsync(Call call, CancellationToken ct)
    {
        var access = authorizer.AccessOf(await RequireAsync(call, ct));
        var root = Parse(await bodies.ReadSmallAsync(call, ct));
        var rules = Children(root, "Rule").ToList();
        if (root.Name.LocalName != "OwnershipControls" || rules.Count != 1
            || !ObjectOwnerships.TryParse(ChildValue(rules[0], "ObjectOwnership"), out var ownership))
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        if (ownership == ObjectOwnership.BucketOwnerEnforced && !AclHeaders.IsOwnerOnly(access.Acl, access.OwnerId))
        {
            throw new S3Exception(S3Error.InvalidBucketAclWithObjectOwnership);
        }
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.OwnershipControls, ownership.ToString(), ct);
    }

    public async Task DeleteBucketOwnershipControlsAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.OwnershipControls, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task GetPublicAccessBlockAsync(Call call, CancellationToken ct)
    {
        var bucket = await RequireAsync(call, ct);
        if (bucket.Document(BucketConfigKinds.PublicAccessBlock) is null)
        {
            throw new S3Exception(S3Error.NoSuchPublicAccessBlockConfiguration);
        }
        var block = authorizer.AccessOf(bucket).PublicAccessBlock;
        await WriteXmlAsync(call.Response, El("PublicAccessBlockConfiguration",
            El("BlockPublicAcls", Bool(block.BlockPublicAcls)), El("IgnorePublicAcls", Bool(block.IgnorePublicAcls)),
            El("BlockPublicPolicy", Bool(block.BlockPublicPolicy)), El("RestrictPublicBuckets", Bool(block.RestrictPublicBuckets))));
    }

    public async Task PutPublicAccessBlockAsync(Call call, CancellationToken ct)
    {
        await RequireAsync(call, ct);
        var root = Parse(await bodies.ReadSmallAsync(call, ct));
        if (root.Name.LocalName != "PublicAccessBlockConfiguration"
            || root.Elements().Any(e => e.Name.LocalName is not ("BlockPublicAcls" or "IgnorePublicAcls" or "BlockPublicPolicy" or "RestrictPublicBuckets")))
        {
            throw new S3Exception(S3Error.MalformedXML);
        }
        bool Flag(string name) => ChildValue(root, name) switch
        {
            null or "false" or "False" => false,
            "true" or "True" => true,
            _ => throw new S3Exception(S3Error.MalformedXML),
        };
        var block = new PublicAccessBlock(Flag("BlockPublicAcls"), Flag("IgnorePublicAcls"), Flag("BlockPublicPolicy"), Flag("RestrictPublicBuckets"));
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.PublicAccessBlock, JsonSerializer.Serialize(block), ct);
    }

    public async Task DeletePublicAccessBlockAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.PublicAccessBlock, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// <paramref name="request"/> with the ACL and owner a new version gets (PutObject, CopyObject,
    /// CreateMultipartUpload, POST): none when the bucket owner owns it privately, else the requested ACL (or the
    /// writer's private one) and the writer as owner, checked against the bucket's ownership and public access block.
    /// </summary>
    public static ValueTask<PutObjectRequest> WithAclAsync(PutObjectRequest request, Call call, BucketSettingsCache settings, S3Authorizer authorizer, CancellationToken ct) =>
        WithAclAsync(request, call, call.Http.Headers, settings, authorizer, ct);

    /// <summary>As a PUT's, from headers a form stands for (POST Object).</summary>
    public static async ValueTask<PutObjectRequest> WithAclAsync(
        PutObjectRequest request, Call call, IHeaderDictionary headers, BucketSettingsCache settings, S3Authorizer authorizer, CancellationToken ct)
    {
        if (await settings.GetAsync(request.Bucket, ct) is not { } bucket)
        {
            return request; // the write itself answers NoSuchBucket
        }
        var (acl, owner) = AclForWrite(headers, authorizer.AccessOf(bucket), call.Auth.Principal.CanonicalId);
        return request with { Acl = acl, Owner = owner };
    }

    private static (string? Acl, string? Owner) AclForWrite(IHeaderDictionary headers, BucketAccess access, string writerId)
    {
        var requested = AclHeaders.Parse(headers, writerId, access.OwnerId);
        if (!access.AclsEnabled)
        {
            // ACLs disabled: the bucket owner owns everything; only ACLs that say just that are accepted.
            if (requested is not null && !AclHeaders.IsOwnerOnly(requested, access.OwnerId) && headers["x-amz-acl"] != "bucket-owner-full-control")
            {
                throw new S3Exception(S3Error.AccessControlListNotSupported);
            }
            return (null, null);
        }
        if (requested is not null)
        {
            CheckAllowed(requested, access);
        }
        bool ownedByBucketOwner = writerId == access.OwnerId
            || (access.Ownership == ObjectOwnership.BucketOwnerPreferred && headers["x-amz-acl"] == "bucket-owner-full-control");
        if (ownedByBucketOwner)
        {
            return (requested is null ? null : (requested with { OwnerId = access.OwnerId }).ToJson(), null);
        }
        return ((requested ?? AccessControlList.Private(writerId)).ToJson(), writerId);
    }

    private static AccessControlList ObjectAcl(ObjectInfo version, BucketAccess access) =>
        access.AclsEnabled ? S3Authorizer.AclOf(version.Acl, access.OwnerId) : AccessControlList.Private(access.OwnerId);

    /// <summary>Refuses ACLs the bucket's ownership or public access block does not allow.</summary>
    internal static void CheckAllowed(AccessControlList acl, BucketAccess access)
    {
        if (!access.AclsEnabled && !AclHeaders.IsOwnerOnly(acl, access.OwnerId))
        {
            throw new S3Exception(S3Error.AccessControlListNotSupported);
        }
        if (acl.IsPublic && access.PublicAccessBlock.BlockPublicAcls)
        {
            throw new S3Exception(S3Error.AccessDenied, "Public ACLs are blocked by the BlockPublicAcls block public access setting.");
        }
    }

    /// <summary>An ACL from the headers or from an AccessControlPolicy body, never both.</summary>
    private async Task<AccessControlList> RequestedAclAsync(Call call, string ownerId, string bucketOwnerId, CancellationToken ct)
    {
        var fromHeaders = AclHeaders.Parse(call.Http.Headers, ownerId, bucketOwnerId);
        var body = await bodies.ReadSmallAsync(call, ct);
        if (fromHeaders is not null && body.Length > 0)
        {
            throw new S3Exception(S3Error.UnexpectedContent, "This request does not support content when ACL headers are given.");
        }
        if (fromHeaders is not null)
        {
            return fromHeaders;
        }
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingSecurityHeader, "Your request was missing a required header: x-amz-acl or an AccessControlPolicy body.");
        }
        return AclXml.Read(body, ownerId);
    }

    private async Task<BucketSettings> RequireAsync(Call call, CancellationToken ct) =>
        await settings.GetAsync(call.Bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);

    private static string Bool(bool value) => value ? "true" : "false";
}

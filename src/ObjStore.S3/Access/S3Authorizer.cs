using System.Globalization;
using System.Text.Json;
using ObjStore.Access;
using ObjStore.Access.Policies;
using ObjStore.Core;
using ObjStore.S3.Auth;
using ObjStore.S3.Handlers;
using ObjStore.S3.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ObjStore.S3.Access;

/// <summary>
/// The one place S3 requests are authorized: every operation's IAM action, resource and condition keys are derived
/// here and decided by <see cref="AccessDecision"/> before the handler runs. Handlers ask it only for what a request
/// reveals inside its body (each key of DeleteObjects, a browser form's key) and for ListBuckets' filter.
/// </summary>
internal sealed partial class S3Authorizer(BucketSettingsCache settings, IObjectLayer objects, string rootCanonicalId, TimeProvider clock, ILogger logger)
{
    /// <summary>The name <see cref="AccessOf"/> is memoized under in a bucket's settings (no document has this kind).</summary>
    private const string AccessSettings = "derived:access";

    /// <summary>Throws AccessDenied unless the request may run.</summary>
    public async Task AuthorizeAsync(S3Operation operation, Call call, CancellationToken ct)
    {
        if (call.Auth.Principal.Kind == PrincipalKind.Root || operation == S3Operation.PostObject)
        {
            return; // the root may do anything; a form upload authenticates (and is authorized) from its own fields
        }
        var headers = call.Http.Headers;
        string? versionId = call.Request.QueryValue("versionId");
        var spec = S3Actions.For(operation, versionId is not null);
        string? bucket = call.Request.Bucket;
        if (spec.Target != ActionTarget.Object || call.Request.Key is not null)
        {
            bool listing = operation is S3Operation.ListObjects or S3Operation.ListObjectsV2 or S3Operation.ListObjectVersions or S3Operation.ListMultipartUploads;
            await RequireAsync(call, spec, bucket, call.Request.Key, versionId, null, ct, listing);
        }
        switch (operation)
        {
            case S3Operation.PutObject or S3Operation.CopyObject or S3Operation.CreateMultipartUpload:
                await RequireWriteExtrasAsync(call, headers, bucket!, call.Key, tagged: headers["x-amz-tagging"].ToString().Length > 0, ct);
                break;
            case S3Operation.CreateBucket:
                if (AclHeaders.Present(headers))
                {
                    await RequireAsync(call, new ActionSpec("s3:PutBucketAcl", ActionTarget.Bucket), bucket, null, null, null, ct);
                }
                if (string.Equals(headers["x-amz-bucket-object-lock-enabled"], "true", StringComparison.OrdinalIgnoreCase))
                {
                    await RequireAsync(call, new ActionSpec("s3:PutBucketObjectLockConfiguration", ActionTarget.Bucket), bucket, null, null, null, ct);
                    await RequireAsync(call, new ActionSpec("s3:PutBucketVersioning", ActionTarget.Bucket), bucket, null, null, null, ct);
                }
                if (headers.ContainsKey("x-amz-object-ownership"))
                {
                    await RequireAsync(call, new ActionSpec("s3:PutBucketOwnershipControls", ActionTarget.Bucket), bucket, null, null, null, ct);
                }
                break;
            case S3Operation.DeleteObject or S3Operation.PutObjectRetention when ObjectLockProtocol.Bypass(headers):
                await RequireAsync(call, new ActionSpec("s3:BypassGovernanceRetention", ActionTarget.Object), bucket, call.Key, versionId, null, ct);
                break;
        }
        if (operation is S3Operation.CopyObject or S3Operation.UploadPartCopy)
        {
            var (sourceBucket, sourceKey, sourceVersion) = CopySource.Parse(headers["x-amz-copy-source"].ToString(), operation == S3Operation.CopyObject);
            await RequireAsync(call, S3Actions.For(S3Operation.GetObject, sourceVersion is not null), sourceBucket, sourceKey, sourceVersion, null, ct);
        }
    }

    /// <summary>
    /// A browser form's upload, authorized as the PUT it stands for: s3:PutObject on its key, and whatever else its
    /// fields (<paramref name="fields"/>, read as that PUT's headers) ask for, as <see cref="AuthorizeAsync"/> does.
    /// </summary>
    public async Task AuthorizeFormAsync(Call signed, IHeaderDictionary fields, string bucket, string key, bool tagged, CancellationToken ct)
    {
        if (signed.Auth.Principal.Kind == PrincipalKind.Root)
        {
            return;
        }
        await RequireAsync(signed, Spec("s3:PutObject", key), bucket, key, null, null, ct);
        await RequireWriteExtrasAsync(signed, fields, bucket, key, tagged, ct);
    }

    /// <summary>
    /// What a write needs besides s3:PutObject for what its headers ask: an ACL (s3:PutObjectAcl), a retention or a
    /// legal hold, tags (<paramref name="tagged"/>: a header's or a form's).
    /// </summary>
    private async Task RequireWriteExtrasAsync(Call call, IHeaderDictionary headers, string bucket, string key, bool tagged, CancellationToken ct)
    {
        if (AclHeaders.Present(headers))
        {
            await RequireAsync(call, new ActionSpec("s3:PutObjectAcl", ActionTarget.Object, AclPermission.Write), bucket, key, null, null, ct);
        }
        if (headers.ContainsKey("x-amz-object-lock-mode") || headers.ContainsKey("x-amz-object-lock-retain-until-date"))
        {
            await RequireAsync(call, new ActionSpec("s3:PutObjectRetention", ActionTarget.Object), bucket, key, null, null, ct);
        }
        if (headers.ContainsKey("x-amz-object-lock-legal-hold"))
        {
            await RequireAsync(call, new ActionSpec("s3:PutObjectLegalHold", ActionTarget.Object), bucket, key, null, null, ct);
        }
        if (tagged)
        {
            await RequireAsync(call, new ActionSpec("s3:PutObjectTagging", ActionTarget.Object), bucket, key, null, null, ct);
        }
    }

    /// <summary>Throws AccessDenied unless the principal may do <paramref name="action"/> on the bucket or key.</summary>
    public Task RequireAsync(Call call, string action, string bucket, string? key, string? versionId, Action<ConditionContext>? addConditions, CancellationToken ct) =>
        call.Auth.Principal.Kind == PrincipalKind.Root
            ? Task.CompletedTask
            : RequireAsync(call, Spec(action, key), bucket, key, versionId, addConditions, ct);

    /// <summary>Throws AccessDenied (for the GET or HEAD that found no key) unless the principal may list the bucket.</summary>
    public async Task ConcealMissingKeyAsync(Call call, CancellationToken ct)
    {
        if (!await IsAllowedAsync(call, "s3:ListBucket", call.Bucket, ct))
        {
            throw new S3Exception(S3Error.AccessDenied);
        }
    }

    /// <summary>
    /// Whether the principal may do <paramref name="action"/> on the bucket, asked for another operation (ListBuckets'
    /// filter, a missing key's answer): that operation's query is not a listing's, so s3:prefix and the like are absent.
    /// </summary>
    public async Task<bool> IsAllowedAsync(Call call, string action, string bucket, CancellationToken ct) =>
        call.Auth.Principal.Kind == PrincipalKind.Root || await DecideAsync(call, Spec(action, null), bucket, null, null, null, listing: false, ct);

    /// <summary>The bucket owner's canonical id (the root user's for buckets it owns).</summary>
    public string OwnerOf(BucketInfo bucket) => bucket.Owner.Length == 0 ? rootCanonicalId : bucket.Owner;

    /// <summary>
    /// What authorization needs of a bucket, computed once per change of its settings. A stored document that no
    /// longer parses (written by an older version with laxer rules, or damaged) fails closed, logged once per load: a
    /// policy as one that denies everyone but the root (who may replace it), an ACL as owner-only, an ownership as
    /// BucketOwnerEnforced (ACLs disabled), a public access block as every setting on.
    /// </summary>
    public BucketAccess AccessOf(BucketSettings bucket) => bucket.Derived(AccessSettings, _deriveAccess ??= DeriveAccess);

    /// <summary>Made once: a method group converted per call would allocate a delegate on every request.</summary>
    private Func<BucketSettings, BucketAccess>? _deriveAccess;

    private BucketAccess DeriveAccess(BucketSettings b)
    {
        string owner = OwnerOf(b.Info);
        string name = b.Info.Name;
        T Logged<T>(string kind, string text, Func<string, T> parse, T failClosed)
        {
            var parsed = Parse(text, parse, failClosed);
            if (ReferenceEquals(parsed, failClosed))
            {
                LogUnparsable(logger, kind, name);
            }
            return parsed;
        }
        var ownership = ObjectOwnership.ObjectWriter;
        if (b.Document(BucketConfigKinds.OwnershipControls) is { } stored)
        {
            if (!ObjectOwnerships.TryParse(stored, out ownership))
            {
                ownership = ObjectOwnership.BucketOwnerEnforced;
                LogUnparsable(logger, BucketConfigKinds.OwnershipControls, name);
            }
        }
        return new BucketAccess(
            owner,
            b.Parsed(BucketConfigKinds.Policy, text => Logged(BucketConfigKinds.Policy, text, t => PolicyDocument.Parse(t, PolicyKind.Resource), DenyEveryone)),
            b.Parsed(BucketConfigKinds.Acl, text => Logged(BucketConfigKinds.Acl, text, AccessControlList.FromJson, AccessControlList.Private(owner))) ?? AccessControlList.Private(owner),
            ownership,
            b.Parsed(BucketConfigKinds.PublicAccessBlock, text => Logged(BucketConfigKinds.PublicAccessBlock, text,
                t => JsonSerializer.Deserialize<PublicAccessBlock>(t) ?? PublicAccessBlock.All, PublicAccessBlock.All)) ?? PublicAccessBlock.None);
    }

    /// <summary>A version's stored ACL (null: the bucket owner's alone); one that does not parse is owner-only too.</summary>
    public static AccessControlList AclOf(string? json, string bucketOwner) =>
        json is null ? AccessControlList.Private(bucketOwner) : Parse(json, AccessControlList.FromJson, AccessControlList.Private(bucketOwner));

    private static readonly PolicyDocument DenyEveryone = PolicyDocument.Parse(
        """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}""", PolicyKind.Resource);

    private static T Parse<T>(string text, Func<string, T> parse, T failClosed)
    {
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is MalformedPolicyException or JsonException or NotSupportedException or ArgumentException)
        {
            return failClosed;
        }
    }

    private static ActionSpec Spec(string action, string? key)
    {
        var target = key is null ? ActionTarget.Bucket : ActionTarget.Object;
        AclPermission? permission = action switch
        {
            "s3:ListBucket" or "s3:ListBucketVersions" or "s3:GetObject" or "s3:GetObjectVersion" => AclPermission.Read,
            "s3:PutObject" or "s3:PutObjectAcl" or "s3:DeleteObject" or "s3:DeleteObjectVersion" => AclPermission.Write,
            _ => null,
        };
        return new ActionSpec(action, target, permission);
    }

    private async Task RequireAsync(
        Call call, ActionSpec spec, string? bucket, string? key, string? versionId, Action<ConditionContext>? addConditions, CancellationToken ct, bool listing = false)
    {
        if (!await DecideAsync(call, spec, bucket, key, versionId, addConditions, listing, ct))
        {
            string resource = Resource(spec.Target, bucket, key);
            var principal = call.Auth.Principal;
            throw new S3Exception(S3Error.AccessDenied, principal.IsAnonymous
                ? $"Anonymous users are not authorized to perform: {spec.Action} on resource: \"{resource}\""
                : $"User: {principal.Arn} is not authorized to perform: {spec.Action} on resource: \"{resource}\"");
        }
    }

    private async Task<bool> DecideAsync(
        Call call, ActionSpec spec, string? bucket, string? key, string? versionId, Action<ConditionContext>? addConditions, bool listing, CancellationToken ct)
    {
        var bucketSettings = bucket is null ? null : await settings.GetAsync(bucket, ct);
        var access = bucketSettings is null ? null : AccessOf(bucketSettings);
        var conditions = Conditions(call, versionId, listing);
        addConditions?.Invoke(conditions);
        if (key is not null && spec.Target == ActionTarget.Object
            && (call.Auth.IdentityPolicy?.ReadsExistingObjectTags == true || access?.Policy?.ReadsExistingObjectTags == true))
        {
            // s3:ExistingObjectTag/KEY: the tags of the version acted on, read only when a policy asks for them.
            try
            {
                var existing = await objects.GetObjectInfoAsync(bucket!, key, Versions.Parse(versionId), ct);
                foreach (var (tagKey, tagValue) in existing.Tags)
                {
                    conditions.Set("s3:ExistingObjectTag/" + tagKey, tagValue);
                }
            }
            catch (ObjectStoreException)
            {
                // No such object (a PUT of a new key): it has no tags.
            }
        }
        var request = new AccessRequest(spec.Action, Resource(spec.Target, bucket, key), call.Auth.Principal, conditions);
        var identity = call.Auth.IdentityPolicy;
        bool objectAcl = spec.Target == ActionTarget.Object && spec.AclPermission is not (null or AclPermission.Write);
        if (AccessDecision.IsAllowed(request, identity, access, spec.AclPermission, objectAcl ? null : access?.Acl))
        {
            return true;
        }
        if (!objectAcl || access is null || key is null || !AccessDecision.NeedsObjectAcl(request, identity, access))
        {
            return false;
        }
        // Only an object's ACL could still allow this read: it is worth a catalogue lookup now, not before.
        ObjectInfo version;
        try
        {
            version = await objects.GetObjectInfoAsync(bucket!, key, Versions.Parse(versionId), ct);
        }
        catch (ObjectStoreException)
        {
            return false;
        }
        var acl = AclOf(version.Acl, access.OwnerId);
        return AccessDecision.IsAllowed(request, identity, access, spec.AclPermission, acl);
    }

    private static string Resource(ActionTarget target, string? bucket, string? key) => target switch
    {
        ActionTarget.Service => "arn:aws:s3:::*", // what AWS's examples grant ListAllMyBuckets on (and "*" matches it too)
        ActionTarget.Bucket => AccessRequest.BucketArn(bucket!),
        _ => AccessRequest.ObjectArn(bucket!, key ?? ""),
    };

    /// <summary>
    /// The condition keys of the request (IAM's global keys and S3's), as AWS defines them, each computed only when a
    /// policy asks for it: most requests' policies read none or one.
    /// </summary>
    /// <param name="listing">Whether the request's query is the operation's own (s3:prefix, s3:delimiter, s3:max-keys).</param>
    private ConditionContext Conditions(Call call, string? versionId, bool listing) => new(key => ConditionValue(call, versionId, listing, key));

    private string[]? ConditionValue(Call call, string? versionId, bool listing, string key)
    {
        var http = call.Http;
        // A browser form stands for the x-amz-* headers of the PUT it makes: those keys read its fields. Referer and
        // User-Agent are the browser's own, on the POST.
        var headers = call.FormFields ?? http.Headers;
        var principal = call.Auth.Principal;
        bool signed = !principal.IsAnonymous;
        static string[]? One(string? value) => value is null ? null : [value];
        static string? Header(IHeaderDictionary headers, string name) => headers[name].ToString() is { Length: > 0 } value ? value : null;
        switch (key.ToLowerInvariant())
        {
            case "aws:sourceip": return One(call.Context.Connection.RemoteIpAddress?.ToString());
            case "aws:securetransport": return [http.IsHttps ? "true" : "false"];
            case "aws:currenttime": return [clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)];
            case "aws:epochtime": return [clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)];
            case "aws:referer": return One(Header(http.Headers, "Referer"));
            case "aws:useragent": return One(Header(http.Headers, "User-Agent"));
            case "aws:principaltype": return [principal.Kind switch { PrincipalKind.Root => "Account", PrincipalKind.User => "User", _ => "Anonymous" }];
            case "aws:username": return signed ? [principal.Name] : null;
            case "aws:userid": return signed ? [principal.CanonicalId] : null;
            case "aws:principalarn": return signed ? [principal.Arn] : null;
            case "s3:signatureversion": return signed ? [call.Auth.SignatureVersion] : null;
            case "s3:authtype": return signed ? [call.Auth.Type switch { AuthType.Query => "REST-QUERY-STRING", AuthType.PostPolicy => "POST", _ => "REST-HEADER" }] : null;
            case "s3:x-amz-content-sha256": return signed ? [call.Auth.PayloadHash] : null;
            case "s3:prefix": return listing ? One(call.Request.QueryValue("prefix")) : null;
            case "s3:delimiter": return listing ? One(call.Request.QueryValue("delimiter")) : null;
            case "s3:max-keys": return listing ? One(call.Request.QueryValue("max-keys")) : null;
            case "s3:versionid": return One(versionId);
            case "s3:object-lock-mode": return One(Header(headers, "x-amz-object-lock-mode"));
            case "s3:object-lock-retain-until-date": return One(Header(headers, "x-amz-object-lock-retain-until-date"));
            case "s3:object-lock-legal-hold": return One(Header(headers, "x-amz-object-lock-legal-hold"));
            case "s3:object-lock-remaining-retention-days":
                return Header(headers, "x-amz-object-lock-retain-until-date") is { } until
                    && DateTimeOffset.TryParse(until, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var untilDate)
                    ? [Math.Max(0, (long)Math.Ceiling((untilDate - clock.GetUtcNow()).TotalDays)).ToString(CultureInfo.InvariantCulture)]
                    : null;
            case "s3:requestobjecttagkeys":
                return Header(headers, "x-amz-tagging") is { } tagKeys ? [.. S3Request.ParseQuery(tagKeys).Select(t => t.Key)] : null;
            case var tag when tag.StartsWith("s3:requestobjecttag/", StringComparison.Ordinal):
                string tagKey = key["s3:RequestObjectTag/".Length..]; // tag keys are case-sensitive
                return Header(headers, "x-amz-tagging") is { } tagging && S3Request.ParseQuery(tagging).FirstOrDefault(t => t.Key == tagKey) is { Key: not null } found
                    ? [found.Value]
                    : null;
            case var header when header.StartsWith("s3:x-amz-", StringComparison.Ordinal) && ConditionHeaders.Contains(header[3..]):
                return One(Header(headers, header[3..]));
            default:
                return null;
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "The stored {Kind} document of bucket {Bucket} does not parse: it counts as its strictest form until it is replaced")]
    private static partial void LogUnparsable(ILogger logger, string kind, string bucket);

    /// <summary>The request headers S3 exposes as condition keys of the same name (s3:x-amz-acl, ...).</summary>
    private static readonly HashSet<string> ConditionHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "x-amz-acl", "x-amz-copy-source", "x-amz-metadata-directive", "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id", "x-amz-server-side-encryption-customer-algorithm", "x-amz-storage-class", "x-amz-grant-read", "x-amz-grant-write",
        "x-amz-grant-read-acp", "x-amz-grant-write-acp", "x-amz-grant-full-control", "x-amz-object-ownership",
    };
}

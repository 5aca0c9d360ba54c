using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Access;
using ObjStore.S3.Protocol;
using static ObjStore.S3.Protocol.Responses;

namespace ObjStore.S3.Handlers;

/// <summary>Object tags (per version) and bucket tags: Get/Put/DeleteObjectTagging and Get/Put/DeleteBucketTagging.</summary>
internal sealed class TaggingHandler(IObjectLayer objects, BucketSettingsCache settings, RequestBodies bodies)
{
    public async Task GetObjectTaggingAsync(Call call, CancellationToken ct)
    {
        var version = await objects.ReadableVersionAsync(call.Bucket, call.Key, Versions.Parse(call.Request.QueryValue("versionId")), ct);
        Versions.WriteReadHeader(call.Response, version);
        await WriteXmlAsync(call.Response, Tagging.ToXml(version.Tags));
    }

    public async Task PutObjectTaggingAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        await SetAsync(call, Tagging.FromXml(body, Tagging.MaxObjectTags), ct);
    }

    public async Task DeleteObjectTaggingAsync(Call call, CancellationToken ct)
    {
        await SetAsync(call, new Dictionary<string, string>(), ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task GetBucketTaggingAsync(Call call, CancellationToken ct)
    {
        var bucket = await settings.GetAsync(call.Bucket, ct) ?? throw new S3Exception(S3Error.NoSuchBucket);
        var tags = bucket.Document(BucketConfigKinds.Tagging) is { } json
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? []
            : throw new S3Exception(S3Error.NoSuchTagSet);
        await WriteXmlAsync(call.Response, Tagging.ToXml(tags));
    }

    public async Task PutBucketTaggingAsync(Call call, CancellationToken ct)
    {
        var body = await bodies.ReadSmallAsync(call, ct);
        if (body.Length == 0)
        {
            throw new S3Exception(S3Error.MissingRequestBodyError);
        }
        var tags = Tagging.FromXml(body, Tagging.MaxBucketTags);
        await settings.PutConfigAsync(call.Bucket, BucketConfigKinds.Tagging, JsonSerializer.Serialize(tags), ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task DeleteBucketTaggingAsync(Call call, CancellationToken ct)
    {
        await settings.DeleteConfigAsync(call.Bucket, BucketConfigKinds.Tagging, ct);
        call.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>A delete marker has no tags to set (405); the version changed is named when the bucket was ever versioned.</summary>
    private async Task SetAsync(Call call, IReadOnlyDictionary<string, string> tags, CancellationToken ct)
    {
        string? versionId = Versions.Parse(call.Request.QueryValue("versionId"));
        var version = await objects.ReadableVersionAsync(call.Bucket, call.Key, versionId, ct);
        string changed = await objects.SetObjectTagsAsync(call.Bucket, call.Key, versionId ?? version.VersionId, tags, ct);
        if (version.BucketVersioning != VersioningState.Unversioned)
        {
            call.Response.Headers["x-amz-version-id"] = changed;
        }
    }
}

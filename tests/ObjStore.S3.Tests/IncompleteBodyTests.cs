using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using ObjStore.Core;
using ObjStore.S3.Auth;

namespace ObjStore.S3.Tests;

/// <summary>
/// Only the client's body failing is IncompleteBody (400, the client's fault); the same exception from the store is
/// the server's (500, logged). Driven through <see cref="S3Handler"/> with a signed request and a fake object layer.
/// </summary>
public class IncompleteBodyTests
{
    private const string AccessKey = "test-access-key";
    private const string Secret = "test-secret-key";

    [Fact]
    public async Task AnIOExceptionFromTheStoreIsInternalErrorAndLogged()
    {
        var log = new LogSink();
        var objects = new FakeObjects { Put = (_, _) => throw new IOException("disk") };
        var (status, body) = await PutAsync(objects, new MemoryStream(new byte[8]), log: log);
        Assert.Equal(500, status);
        Assert.Contains("<Code>InternalError</Code>", body, StringComparison.Ordinal);
        Assert.DoesNotContain("disk", body, StringComparison.Ordinal);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Exception is IOException { Message: "disk" });
    }

    [Fact]
    public async Task ACancellationWhileTheClientIsStillThereIsInternalError()
    {
        var objects = new FakeObjects { Put = (_, _) => throw new OperationCanceledException() };
        var (status, body) = await PutAsync(objects, new MemoryStream(new byte[8]));
        Assert.Equal(500, status);
        Assert.Contains("<Code>InternalError</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AConnectionResetWhileReadingTheBodyIsIncompleteBodyAndNotLoggedAsAnError()
    {
        var log = new LogSink();
        var (status, body) = await PutAsync(new FakeObjects { Put = DrainAsync }, new FailingBody(new IOException("connection reset")), log: log);
        Assert.Equal(400, status);
        Assert.Contains("<Code>IncompleteBody</Code><Message>The request body ended early: connection reset</Message>", body, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ABodyKestrelRefusesIsIncompleteBody()
    {
        var (status, body) = await PutAsync(new FakeObjects { Put = DrainAsync }, new FailingBody(new BadHttpRequestException("Unexpected end of request content.")));
        Assert.Equal(400, status);
        Assert.Contains("<Code>IncompleteBody</Code><Message>The request body ended early: Unexpected end of request content.</Message>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatHangsUpMidBodyIsIncompleteBody()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var (status, body) = await PutAsync(new FakeObjects { Put = DrainAsync }, new FailingBody(new OperationCanceledException()), aborted: aborted.Token);
        Assert.Equal(400, status);
        Assert.Contains("<Code>IncompleteBody</Code><Message>The request was cancelled.</Message>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheStoreCancelledBecauseTheClientHungUpIsIncompleteBody()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var objects = new FakeObjects { Put = (_, ct) => throw new OperationCanceledException(ct) };
        var (status, body) = await PutAsync(objects, new MemoryStream(new byte[8]), aborted: aborted.Token);
        Assert.Equal(400, status);
        Assert.Contains("<Code>IncompleteBody</Code>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShortBodyTheStoreCountedIsIncompleteBody()
    {
        var objects = new FakeObjects { Put = (_, _) => throw new ObjectStoreException(ErrorKind.IncompleteBody, "3 of 8 bytes.") };
        var (status, body) = await PutAsync(objects, new MemoryStream(new byte[3]));
        Assert.Equal(400, status);
        Assert.Contains("<Code>IncompleteBody</Code><Message>3 of 8 bytes.</Message>", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteObjectsListsAClientErrorPerKeyButAServerFaultFailsTheRequest()
    {
        const string Document = "<Delete><Object><Key>bad</Key></Object><Object><Key>disk</Key></Object></Delete>";
        var clientError = new FakeObjects
        {
            Delete = key => throw new ObjectStoreException(ErrorKind.InvalidArgument, "refused " + key),
        };
        var (status, body) = await SendAsync(clientError, "POST", "/bucket?delete", new MemoryStream(Encoding.UTF8.GetBytes(Document)), Document.Length);
        Assert.Equal(200, status);
        Assert.Contains("<Error><Key>bad</Key><Code>InvalidArgument</Code><Message>refused bad</Message></Error>", body, StringComparison.Ordinal);

        var serverFault = new FakeObjects { Delete = key => key == "disk" ? throw new IOException("disk") : Task.FromResult(DeleteOutcome.Nothing) };
        (status, body) = await SendAsync(serverFault, "POST", "/bucket?delete", new MemoryStream(Encoding.UTF8.GetBytes(Document)), Document.Length);
        Assert.Equal(500, status);
        Assert.Contains("<Code>InternalError</Code>", body, StringComparison.Ordinal);
    }

    private static async Task<ObjectInfo> DrainAsync(Stream body, CancellationToken ct)
    {
        await body.CopyToAsync(Stream.Null, ct);
        throw new InvalidOperationException("The body was expected to fail.");
    }

    private static Task<(int Status, string Body)> PutAsync(IObjectLayer objects, Stream body, LogSink? log = null, CancellationToken aborted = default) =>
        SendAsync(objects, "PUT", "/bucket/key", body, 8, log, aborted);

    private static async Task<(int Status, string Body)> SendAsync(
        IObjectLayer objects, string method, string target, Stream body, long length, LogSink? log = null, CancellationToken aborted = default)
    {
        var credentials = new StaticCredentials(new Dictionary<string, string> { [AccessKey] = Secret });
        var handler = new S3Handler(objects, new Authenticator(credentials, TimeProvider.System), credentials,
            new S3Options(), TimeProvider.System, log ?? new LogSink());
        using var signed = new HttpRequestMessage(new HttpMethod(method), "http://s3.test" + target);
        new SigV4Signer(AccessKey, Secret).Sign(signed);

        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = target;
        context.Request.Method = method;
        context.Request.Host = new HostString("s3.test");
        context.Request.Path = target.Split('?')[0];
        context.Request.ContentLength = length;
        context.Request.Body = body;
        foreach (var (name, values) in signed.Headers.NonValidated)
        {
            context.Request.Headers[name] = values.ToString();
        }
        context.RequestAborted = aborted;
        using var response = new MemoryStream();
        context.Response.Body = response;

        await handler.HandleAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()));
    }

    /// <summary>A client's body that sends a few bytes, then fails as Kestrel does when the client goes.</summary>
    private sealed class FailingBody(Exception failure) : ReadOnlyBodyStream
    {
        private bool _sent;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_sent)
            {
                throw failure;
            }
            _sent = true;
            buffer.Span[..3].Fill((byte)'x');
            return ValueTask.FromResult(3);
        }
    }

    private sealed class LogSink : ILogger<S3Handler>
    {
        public List<(LogLevel Level, Exception? Exception)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, exception));
    }

    /// <summary>An object layer with one bucket, answering PUTs and deletes as the test says; nothing else is asked.</summary>
    private sealed class FakeObjects : IObjectLayer
    {
        public Func<Stream, CancellationToken, Task<ObjectInfo>> Put { get; init; } = (_, _) => throw new NotSupportedException();
        public Func<string, Task<DeleteOutcome>> Delete { get; init; } = _ => throw new NotSupportedException();

        public Task<ObjectInfo> PutObjectAsync(PutObjectRequest request, Stream body, CancellationToken cancellationToken) => Put(body, cancellationToken);
        public Task<DeleteOutcome> DeleteObjectAsync(string bucket, string key, string? versionId, bool bypassGovernance, CancellationToken cancellationToken) => Delete(key);
        public Task<BucketInfo?> GetBucketAsync(string bucket, CancellationToken cancellationToken) => Task.FromResult<BucketInfo?>(new(bucket, DateTimeOffset.UnixEpoch));

        public Task CreateBucketAsync(string bucket, bool objectLock, string owner, IReadOnlyDictionary<string, string> configs, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task PutBucketConfigAsync(string bucket, string kind, string document, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> DeleteBucketConfigAsync(string bucket, string kind, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> SetObjectAclAsync(string bucket, string key, string? versionId, string? acl, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> SetObjectTagsAsync(string bucket, string key, string? versionId, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task SetBucketVersioningAsync(string bucket, VersioningState state, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task SetObjectLockConfigurationAsync(string bucket, DefaultRetention? defaultRetention, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> SetObjectRetentionAsync(string bucket, string key, string? versionId, ObjectRetention? retention, bool bypassGovernance, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> SetObjectLegalHoldAsync(string bucket, string key, string? versionId, bool legalHold, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<VersionsPage> ListObjectVersionsAsync(ListVersionsRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task DeleteBucketAsync(string bucket, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<BucketInfo>> ListBucketsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ObjectInfo> GetObjectInfoAsync(string bucket, string key, string? versionId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task ReadObjectAsync(ObjectInfo info, long offset, long length, Stream destination, CustomerKey? customerKey, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ObjectInfo> CopyObjectAsync(ObjectInfo source, CustomerKey? sourceKey, PutObjectRequest destination, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ListPage> ListObjectsAsync(ListRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<MultipartUpload> CreateMultipartUploadAsync(PutObjectRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<StoredPart> UploadPartAsync(PutObjectRequest request, string uploadId, int partNumber, Stream body, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<StoredPart> UploadPartCopyAsync(PutObjectRequest request, string uploadId, int partNumber, ObjectInfo source, CustomerKey? sourceKey, long offset, long length, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<ObjectInfo> CompleteMultipartUploadAsync(string bucket, string key, string uploadId, IReadOnlyList<CompletedPart> parts, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task AbortMultipartUploadAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<PartsPage> ListPartsAsync(string bucket, string key, string uploadId, int partNumberMarker, int maxParts, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<UploadsPage> ListMultipartUploadsAsync(ListUploadsRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}

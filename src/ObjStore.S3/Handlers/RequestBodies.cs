using System.Globalization;
using Microsoft.AspNetCore.Http;
using ObjStore.S3.Auth;

namespace ObjStore.S3.Handlers;

/// <summary>A request's body as the operations read it: decoded for its payload mode, no slower than allowed.</summary>
internal sealed class RequestBodies(UploadRateGuard uploads)
{
    /// <summary>The largest XML document a request may send (a completion of 10,000 parts fits).</summary>
    private const int MaxXmlBody = 2 << 20;

    /// <summary>
    /// The decoded body for the request's payload mode (raw, SHA-256 verified, or aws-chunked), read no slower than
    /// the upload rate guard allows, its read failures IncompleteBody (<see cref="ClientBodyStream"/>).
    /// </summary>
    public Stream Open(Call call)
    {
        string mode = call.Auth.PayloadHash;
        var client = new ClientBodyStream(call.Http.Body, call.Context.RequestAborted, call.Exchange);
        var raw = uploads.Wrap(client, call.Context.Connection.RemoteIpAddress?.ToString() ?? "");
        if (!ReferenceEquals(raw, client))
        {
            call.Response.RegisterForDispose(raw); // releases its slow-upload slot however the request ends
        }
        return mode switch
        {
            SigV4.UnsignedPayload => raw,
            SigV4.StreamingPayload => new AwsChunkedStream(raw, call.Auth, expectTrailers: false),
            SigV4.StreamingPayloadTrailer => new AwsChunkedStream(raw, call.Auth, expectTrailers: true),
            SigV4.StreamingUnsignedTrailer => new AwsChunkedStream(raw, auth: null, expectTrailers: true),
            _ => new Sha256VerifyingStream(raw, mode),
        };
    }

    /// <summary>
    /// A whole XML request document, refused as MalformedXML past <see cref="MaxXmlBody"/>, and as BadDigest when it
    /// does not match its Content-MD5.
    /// </summary>
    public async Task<byte[]> ReadSmallAsync(Call call, CancellationToken ct)
    {
        var expectedMd5 = ContentMd5(call.Http);
        if (call.Http.ContentLength > MaxXmlBody)
        {
            throw new S3Exception(S3Error.MalformedXML, "The request body is too large.");
        }
        using var buffer = new MemoryStream();
        var body = Open(call);
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxXmlBody)
            {
                throw new S3Exception(S3Error.MalformedXML, "The request body is too large.");
            }
        }
        var bytes = buffer.ToArray();
        if (expectedMd5 is not null && !Md5Of(bytes).AsSpan().SequenceEqual(expectedMd5))
        {
            throw new S3Exception(S3Error.BadDigest);
        }
        return bytes;
    }

    /// <summary>Content-MD5 is MD5 by protocol (an integrity check, not a security one).</summary>
    private static byte[] Md5Of(byte[] bytes)
    {
        using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
        md5.AppendData(bytes);
        return md5.GetHashAndReset();
    }

    /// <summary>The object bytes the client announces: Content-Length, or the decoded length of an aws-chunked body.</summary>
    public static long DeclaredLength(Call call)
    {
        long? length = call.Auth.PayloadHash.StartsWith("STREAMING-", StringComparison.Ordinal)
            ? long.TryParse(call.Http.Headers["x-amz-decoded-content-length"], NumberStyles.None, CultureInfo.InvariantCulture, out long decoded) ? decoded : null
            : call.Http.ContentLength;
        if (length is null)
        {
            throw new S3Exception(S3Error.MissingContentLength);
        }
        if (length > 5L << 30)
        {
            throw new S3Exception(S3Error.EntityTooLarge);
        }
        return length.Value;
    }

    /// <summary>The Content-MD5 the body must have, if the client sent one.</summary>
    public static byte[]? ContentMd5(HttpRequest request)
    {
        string value = request.Headers["Content-MD5"].ToString();
        if (value.Length == 0)
        {
            return null;
        }
        var bytes = new byte[16];
        if (!Convert.TryFromBase64String(value, bytes, out int written) || written != 16)
        {
            throw new S3Exception(S3Error.InvalidDigest);
        }
        return bytes;
    }
}

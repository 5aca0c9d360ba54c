using System.Text;
using Microsoft.AspNetCore.Http;
using ObjStore.S3.Auth;
using ObjStore.S3.Protocol;

namespace ObjStore.S3.Tests;

/// <summary>The examples of AWS's S3 SigV4 documentation, verified by the server's own authenticator.</summary>
public class SigV4VectorTests
{
    private const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset SignedAt = new(2013, 5, 24, 0, 0, 0, TimeSpan.Zero);

    private static Authenticator Verifier(DateTimeOffset? now = null) =>
        new(new StaticCredentials(new Dictionary<string, string> { [AccessKey] = Secret }), new FixedClock(now ?? SignedAt));

    private static HttpRequest Request(string method, string target, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        int q = target.IndexOf('?');
        context.Request.Method = method;
        context.Request.Path = q < 0 ? target : target[..q];
        context.Request.QueryString = q < 0 ? QueryString.Empty : new QueryString(target[q..]);
        context.Request.Host = new HostString("examplebucket.s3.amazonaws.com");
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }
        return context.Request;
    }

    private static AuthContext Verify(Authenticator verifier, HttpRequest request, string decodedPath)
    {
        var query = S3Request.ParseQuery(request.QueryString.HasValue ? request.QueryString.Value![1..] : "");
        return verifier.Authenticate(request, decodedPath, query);
    }

    [Fact]
    public void GetObjectWithRange()
    {
        var request = Request("GET", "/test.txt",
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.EmptySha256),
            ("x-amz-date", "20130524T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        Assert.Equal(AccessKey, Verify(Verifier(), request, "/test.txt").AccessKey);
    }

    [Fact]
    public void PutObjectWithEscapedKey()
    {
        var request = Request("PUT", "/test%24file.text",
            ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"));
        Verify(Verifier(), request, "/test$file.text");
    }

    [Fact]
    public void ListObjectsQueryIsCanonicalised()
    {
        var request = Request("GET", "/?max-keys=2&prefix=J",
            ("x-amz-content-sha256", SigV4.EmptySha256),
            ("x-amz-date", "20130524T000000Z"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
        Verify(Verifier(), request, "/");
    }

    [Fact]
    public void PresignedUrl()
    {
        var request = Request("GET",
            "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
        Assert.True(Verify(Verifier(SignedAt.AddHours(1)), request, "/test.txt").Presigned);
        var expired = Assert.Throws<S3Exception>(() => Verify(Verifier(SignedAt.AddDays(2)), request, "/test.txt"));
        Assert.Equal("AccessDenied", expired.Error.Code);
    }

    [Fact]
    public void PresignedExpiryOverSevenDaysIsRefused()
    {
        var request = Request("GET",
            "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=604801&X-Amz-SignedHeaders=host&X-Amz-Signature=00");
        Assert.Equal("AuthorizationQueryParametersError", Assert.Throws<S3Exception>(() => Verify(Verifier(), request, "/test.txt")).Error.Code);
    }

    [Fact]
    public void TamperedSignatureSkewAndUnknownKeyAreRefused()
    {
        (string, string)[] Headers(string signature, string key = AccessKey) =>
        [
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", SigV4.EmptySha256),
            ("x-amz-date", "20130524T000000Z"),
            ("Authorization", $"AWS4-HMAC-SHA256 Credential={key}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature={signature}"),
        ];
        const string good = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
        Assert.Equal("SignatureDoesNotMatch", Assert.Throws<S3Exception>(() => Verify(Verifier(), Request("GET", "/test.txt", Headers(good.Replace('f', 'e'))), "/test.txt")).Error.Code);
        Assert.Equal("SignatureDoesNotMatch", Assert.Throws<S3Exception>(() => Verify(Verifier(), Request("GET", "/test.tx", Headers(good)), "/test.tx")).Error.Code);
        Assert.Equal("RequestTimeTooSkewed", Assert.Throws<S3Exception>(() => Verify(Verifier(SignedAt.AddMinutes(16)), Request("GET", "/test.txt", Headers(good)), "/test.txt")).Error.Code);
        Assert.Equal("InvalidAccessKeyId", Assert.Throws<S3Exception>(() => Verify(Verifier(), Request("GET", "/test.txt", Headers(good, "AKIDUNKNOWN")), "/test.txt")).Error.Code);
        // The comparison is of the exact lower-case hex clients send: upper case, a short or long value, non-hex.
        foreach (string wrong in new[] { good.ToUpperInvariant(), good[..^2], good + "00", "g" + good[1..], "" })
        {
            Assert.Equal("SignatureDoesNotMatch", Assert.Throws<S3Exception>(() => Verify(Verifier(), Request("GET", "/test.txt", Headers(wrong)), "/test.txt")).Error.Code);
        }
        // Unsigned is not refused here: it is anonymous, and authorization decides what (if anything) that may do.
        Assert.Same(AuthContext.Anonymous, Verify(Verifier(), Request("GET", "/test.txt"), "/test.txt"));
    }

    /// <summary>The allocation-free check agrees with the string form it replaces on the server.</summary>
    [Theory]
    [InlineData("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD")]
    [InlineData("20261202T101500Z", "20261202/eu-west-1/s3/aws4_request", "PUT\n/%C3%A9t%C3%A9\na=1\nhost:h\n\nhost\nUNSIGNED-PAYLOAD")]
    public void SignatureMatchesAgreesWithSign(string amzDate, string scope, string canonical)
    {
        byte[] key = SigV4.SigningKey(Secret, scope[..8], scope.Split('/')[1], "s3");
        string signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonical));
        Assert.True(SigV4.SignatureMatches(key, amzDate, scope, canonical, signature));
        Assert.False(SigV4.SignatureMatches(key, amzDate, scope, canonical + " ", signature));
        Assert.False(SigV4.SignatureMatches(key, amzDate, scope, canonical, signature[1..] + signature[0]));
    }

    [Fact]
    public async Task StreamingChunkSignaturesFromTheDocumentation()
    {
        // The aws-chunked example: 64 KiB then 1 KiB of 'a', seed signature 4f232c43..., chunk signatures chained.
        var request = Request("PUT", "/examplebucket/chunkObject.txt",
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("x-amz-content-sha256", SigV4.StreamingPayload),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"));
        request.Host = new HostString("s3.amazonaws.com");
        var auth = Verify(Verifier(), request, "/examplebucket/chunkObject.txt");

        var body = new MemoryStream();
        void Chunk(int size, string signature)
        {
            body.Write(Encoding.ASCII.GetBytes($"{size:x};chunk-signature={signature}\r\n"));
            body.Write(Enumerable.Repeat((byte)'a', size).ToArray());
            body.Write("\r\n"u8);
        }
        Chunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
        Chunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
        Chunk(0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
        Assert.Equal(66824, body.Length);

        body.Position = 0;
        await using var decoded = new AwsChunkedStream(body, auth, expectTrailers: false);
        var output = new MemoryStream();
        await decoded.CopyToAsync(output);
        Assert.Equal(66560, output.Length);
        Assert.All(output.ToArray(), b => Assert.Equal((byte)'a', b));

        // One flipped data byte breaks the chain.
        var tampered = body.ToArray();
        tampered[200] = (byte)'b';
        await using var bad = new AwsChunkedStream(new MemoryStream(tampered), auth, expectTrailers: false);
        Assert.Equal("SignatureDoesNotMatch", (await Assert.ThrowsAsync<S3Exception>(() => bad.CopyToAsync(Stream.Null))).Error.Code);
    }

    [Theory]
    [InlineData("zz\r\n")]
    [InlineData("5\r\nabc")]
    [InlineData("3\r\nabcdef\r\n0\r\n\r\n")]
    public async Task MalformedChunkFramingIsAnS3Error(string body)
    {
        await using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(body)), auth: null, expectTrailers: false);
        var error = await Assert.ThrowsAsync<S3Exception>(() => stream.CopyToAsync(Stream.Null));
        Assert.True(error.Error.Status == 400, error.Error.Code);
    }

    [Fact]
    public async Task UnsignedTrailerIsCollected()
    {
        var body = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n";
        await using var stream = new AwsChunkedStream(new MemoryStream(Encoding.ASCII.GetBytes(body)), auth: null, expectTrailers: true);
        var output = new MemoryStream();
        await stream.CopyToAsync(output);
        Assert.Equal("hello", Encoding.ASCII.GetString(output.ToArray()));
        Assert.Equal("NhCmhg==", stream.Trailers["x-amz-checksum-crc32"]);
    }

    [Fact]
    public void TheClientSignerReproducesThePresignedExample()
    {
        var signer = new SigV4Signer(AccessKey, Secret);
        string url = signer.Presign("GET", new Uri("https://examplebucket.s3.amazonaws.com/test.txt"), TimeSpan.FromDays(1), SignedAt);
        Assert.EndsWith("&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", url, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/examplebucket/plain-key")]
    [InlineData("PUT", "/examplebucket/dir/ünï cöde+%.bin")]
    [InlineData("GET", "/examplebucket?list-type=2&prefix=a%2Fb&continuation-token=x%3D%3D")]
    public void WhatTheClientSignerSignsTheServerVerifies(string method, string target)
    {
        var signer = new SigV4Signer(AccessKey, Secret);
        int q = target.IndexOf('?');
        string path = q < 0 ? target : target[..q];
        var uri = new Uri("http://examplebucket.s3.amazonaws.com" + SigV4.UriEncode(path, encodeSlash: false) + (q < 0 ? "" : target[q..]));
        using var message = new HttpRequestMessage(new HttpMethod(method), uri);
        signer.Sign(message, now: SignedAt);
        var request = Request(method, uri.PathAndQuery,
            message.Headers.Select(h => (h.Key, string.Join(",", h.Value))).ToArray());
        Assert.Equal(AccessKey, Verify(Verifier(), request, path).AccessKey);

        var tampered = Request(method, uri.PathAndQuery + (q < 0 ? "?x=1" : "&x=1"),
            message.Headers.Select(h => (h.Key, string.Join(",", h.Value))).ToArray());
        Assert.Equal("SignatureDoesNotMatch", Assert.Throws<S3Exception>(() => Verify(Verifier(), tampered, path)).Error.Code);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

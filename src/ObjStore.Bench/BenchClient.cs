using System.Net;
using System.Text.RegularExpressions;
using System.Xml;
using ObjStore.S3.Auth;

namespace ObjStore.Bench;

/// <summary>The outcome of one request: bytes moved, or the error it counts under (S3 code, HTTP status, transport).</summary>
public readonly record struct OpResult(long Bytes, string? Error)
{
    public static OpResult Ok(long bytes) => new(bytes, null);
}

/// <summary>
/// The few S3 calls the bench makes, over one pooled HttpClient, signed with <see cref="SigV4Signer"/> (UNSIGNED-PAYLOAD)
/// unless the target is a plain HTTP server.
/// </summary>
public sealed partial class BenchClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly SigV4Signer? _signer;
    private readonly string _base;
    private readonly string _bucket;
    private readonly string? _encryption;

    public BenchClient(BenchOptions options)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency + 2,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
        })
        {
            Timeout = TimeSpan.FromMinutes(10),
        };
        _signer = options.NoSign ? null : new SigV4Signer(options.AccessKey, options.SecretKey, options.Region);
        _base = options.Endpoint.ToString().TrimEnd('/');
        _bucket = options.Bucket;
        _encryption = options.Encryption;
    }

    public void Dispose() => _http.Dispose();

    public Uri ObjectUri(string key) => new($"{_base}/{_bucket}/{SigV4.UriEncode(key, encodeSlash: false)}");

    public async Task<OpResult> PutAsync(string key, HttpContent content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, ObjectUri(key)) { Content = content };
        if (_encryption is not null)
        {
            request.Headers.Add("x-amz-server-side-encryption", _encryption);
        }
        long size = content.Headers.ContentLength ?? 0;
        return await SendAsync(request, _ => Task.FromResult(size), ct);
    }

    /// <summary>GET, reading and discarding the body; its length must equal <paramref name="expectedSize"/>.</summary>
    public async Task<OpResult> GetAsync(string key, long expectedSize, byte[] scratch, Func<long, ReadOnlyMemory<byte>, bool>? verify, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ObjectUri(key));
        return await SendAsync(request, async response =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(scratch, ct)) > 0)
            {
                if (verify is not null && !verify(total, scratch.AsMemory(0, n)))
                {
                    throw new BenchContentException("content differs");
                }
                total += n;
            }
            return total == expectedSize ? total : throw new BenchContentException($"length {total}, expected {expectedSize}");
        }, ct);
    }

    public async Task<OpResult> HeadAsync(string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, ObjectUri(key));
        return await SendAsync(request, _ => Task.FromResult(0L), ct);
    }

    public async Task<OpResult> DeleteAsync(string key, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, ObjectUri(key));
        return await SendAsync(request, _ => Task.FromResult(0L), ct);
    }

    /// <summary>One ListObjectsV2 page (max-keys 1000): the keys on it and the token for the next, if any.</summary>
    public async Task<(OpResult Result, int Keys, string? Next)> ListPageAsync(string prefix, string? continuation, CancellationToken ct)
    {
        var page = await ListAsync(new ListQuery { Prefix = prefix, ContinuationToken = continuation }, ct);
        return (page.Result, page.Keys.Count, page.NextContinuationToken);
    }

    /// <summary>
    /// One page of ListObjectsV2 or, with <see cref="ListQuery.Versions"/>, of ListObjectVersions: its keys (a version
    /// or delete marker each), common prefixes and where the next page starts.
    /// </summary>
    public async Task<ListedPage> ListAsync(ListQuery query, CancellationToken ct)
    {
        var parameters = new List<string>();
        if (query.Versions)
        {
            parameters.Add("versions");
            Add("key-marker", query.KeyMarker);
            Add("version-id-marker", query.VersionIdMarker);
        }
        else
        {
            parameters.Add("list-type=2");
            Add("start-after", query.StartAfter);
            Add("continuation-token", query.ContinuationToken);
        }
        Add("max-keys", query.MaxKeys.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("prefix", query.Prefix);
        Add("delimiter", query.Delimiter);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{_base}/{_bucket}?{string.Join('&', parameters)}"));
        var page = new ListedPage();
        page.Result = await SendAsync(request, async response =>
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            using var xml = XmlReader.Create(body, new XmlReaderSettings { Async = true, DtdProcessing = DtdProcessing.Prohibit });
            string section = "";
            // ReadElementContentAsString leaves the reader on the node after the element, so only other nodes read on.
            bool more = await xml.ReadAsync();
            while (more)
            {
                if (xml.NodeType != XmlNodeType.Element)
                {
                    more = await xml.ReadAsync();
                    continue;
                }
                if (xml.Depth == 1)
                {
                    section = xml.LocalName;
                }
                string? value = (xml.Depth, xml.LocalName) switch
                {
                    (1, "IsTruncated" or "NextContinuationToken" or "NextKeyMarker" or "NextVersionIdMarker") => await xml.ReadElementContentAsStringAsync(),
                    (2, "Key") when section is "Contents" or "Version" or "DeleteMarker" => await xml.ReadElementContentAsStringAsync(),
                    (2, "Prefix") when section == "CommonPrefixes" => await xml.ReadElementContentAsStringAsync(),
                    _ => null,
                };
                if (value is null)
                {
                    more = await xml.ReadAsync();
                    continue;
                }
                switch (section)
                {
                    case "IsTruncated": page.IsTruncated = value == "true"; break;
                    case "NextContinuationToken": page.NextContinuationToken = value; break;
                    case "NextKeyMarker": page.NextKeyMarker = value; break;
                    case "NextVersionIdMarker": page.NextVersionIdMarker = value; break;
                    case "CommonPrefixes": page.CommonPrefixes.Add(value); break;
                    default: page.Keys.Add(value); break;
                }
                more = !xml.EOF;
            }
            return 0L;
        }, ct);
        return page;

        void Add(string name, string? value)
        {
            if (value is not null)
            {
                parameters.Add($"{name}={SigV4.UriEncode(value, encodeSlash: true)}");
            }
        }
    }

    public Task<OpResult> CreateBucketAsync(CancellationToken ct) => BucketCallAsync(HttpMethod.Put, ct);

    public Task<OpResult> DeleteBucketAsync(CancellationToken ct) => BucketCallAsync(HttpMethod.Delete, ct);

    public async Task<OpResult> EnableVersioningAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"{_base}/{_bucket}?versioning"))
        {
            Content = new StringContent("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"),
        };
        return await SendAsync(request, _ => Task.FromResult(0L), ct);
    }

    private async Task<OpResult> BucketCallAsync(HttpMethod method, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri($"{_base}/{_bucket}"));
        return await SendAsync(request, _ => Task.FromResult(0L), ct);
    }

    private async Task<OpResult> SendAsync(HttpRequestMessage request, Func<HttpResponseMessage, Task<long>> onSuccess, CancellationToken ct)
    {
        _signer?.Sign(request);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.IsSuccessStatusCode)
            {
                return OpResult.Ok(await onSuccess(response));
            }
            string body = request.Method == HttpMethod.Head ? "" : await response.Content.ReadAsStringAsync(ct);
            var code = ErrorCode().Match(body);
            return new OpResult(0, code.Success ? $"{code.Groups[1].Value} ({(int)response.StatusCode})" : $"HTTP {(int)response.StatusCode}");
        }
        catch (BenchContentException e)
        {
            return new OpResult(0, "bad content: " + e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return new OpResult(0, "transport: " + e.GetType().Name);
        }
    }

    [GeneratedRegex("<Code>([^<]+)</Code>")]
    private static partial Regex ErrorCode();
}

/// <summary>What a listing asks for; null parameters are not sent.</summary>
public sealed record ListQuery
{
    public string Prefix { get; init; } = "";
    public string? Delimiter { get; init; }
    public int MaxKeys { get; init; } = 1000;

    /// <summary>ListObjectVersions (key-marker, version-id-marker) instead of ListObjectsV2 (start-after, continuation-token).</summary>
    public bool Versions { get; init; }
    public string? StartAfter { get; init; }
    public string? ContinuationToken { get; init; }
    public string? KeyMarker { get; init; }
    public string? VersionIdMarker { get; init; }
}

/// <summary>One listing page as the client read it.</summary>
public sealed class ListedPage
{
    public OpResult Result { get; set; }
    public List<string> Keys { get; } = [];
    public List<string> CommonPrefixes { get; } = [];
    public bool IsTruncated { get; set; }
    public string? NextContinuationToken { get; set; }
    public string? NextKeyMarker { get; set; }
    public string? NextVersionIdMarker { get; set; }

    /// <summary>Keys and common prefixes: what max-keys counts.</summary>
    public int Entries => Keys.Count + CommonPrefixes.Count;
}

internal sealed class BenchContentException(string message) : Exception(message);

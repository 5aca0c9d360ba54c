using Microsoft.AspNetCore.Http;
using ObjStore.Core;
using ObjStore.S3.Auth;

namespace ObjStore.S3.Protocol;

/// <summary>
/// S3's flexible checksums: how a request asks for one (x-amz-checksum-* value, x-amz-trailer, or only an algorithm)
/// and the headers an answer reports one in.
/// </summary>
internal static class Checksums
{
    /// <summary>Every algorithm S3 names, in the order a request's headers are looked at.</summary>
    public static readonly ChecksumAlgorithm[] Algorithms =
        [ChecksumAlgorithm.Crc32, ChecksumAlgorithm.Crc32C, ChecksumAlgorithm.Crc64Nvme, ChecksumAlgorithm.Sha1, ChecksumAlgorithm.Sha256];

    private static readonly (ChecksumAlgorithm Algorithm, string Header)[] Headers = [.. Algorithms.Select(a => (a, HeaderName(a)))];

    /// <summary>The algorithm's name in XML elements and x-amz-checksum-algorithm: CRC32, CRC32C, ...</summary>
    public static string Name(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => "CRC32",
        ChecksumAlgorithm.Crc32C => "CRC32C",
        ChecksumAlgorithm.Crc64Nvme => "CRC64NVME",
        ChecksumAlgorithm.Sha1 => "SHA1",
        _ => "SHA256",
    };

    /// <summary>The header a value of the algorithm travels in: x-amz-checksum-crc32, x-amz-checksum-crc32c, ...</summary>
    public static string HeaderName(ChecksumAlgorithm algorithm) => "x-amz-checksum-" + Name(algorithm).ToLowerInvariant();

    /// <summary>Headers named x-amz-checksum-* that carry no checksum value.</summary>
    private static readonly string[] OtherChecksumHeaders = ["x-amz-checksum-algorithm", "x-amz-checksum-mode", "x-amz-checksum-type"];

    /// <summary>Algorithms S3 also accepts that the store does not compute yet: asking for one is 501, not ignored.</summary>
    private static readonly string[] UnimplementedAlgorithms = ["MD5", "SHA512", "XXHASH64", "XXHASH3", "XXHASH128"];

    /// <summary>
    /// The flexible checksum the client asked for: a value in an x-amz-checksum-* header, or named by x-amz-trailer
    /// and delivered at the end of an aws-chunked body, or only an algorithm (x-amz-checksum-algorithm, or the SDK's
    /// x-amz-sdk-checksum-algorithm). With <paramref name="algorithmMustMatchValue"/> (PutObject), an algorithm header
    /// naming another algorithm than the value header is BadDigest, as AWS documents for PutObject; otherwise
    /// (UploadPart) the value header wins and the algorithm header is ignored, as AWS documents for UploadPart.
    /// </summary>
    public static (ChecksumAlgorithm, Func<string?>?) Requested(IHeaderDictionary headers, Stream body, bool algorithmMustMatchValue = false)
    {
        var values = ValueHeaders(headers);
        if (values.Count > 1)
        {
            throw new S3Exception(S3Error.InvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
        }
        if (values is [var (algorithm, header, value)])
        {
            Validate(algorithm, value, header);
            if (algorithmMustMatchValue && NamedAlgorithm(headers) is { } named && named != algorithm)
            {
                throw new S3Exception(S3Error.BadDigest,
                    $"The checksum algorithm the request names ({Name(named)}) is not the one of its {header} header.");
            }
            return (algorithm, () => value);
        }
        string trailer = headers["x-amz-trailer"].ToString().Trim().ToLowerInvariant();
        if (trailer.Length > 0)
        {
            var match = Headers.FirstOrDefault(c => c.Header == trailer);
            if (match.Header is null || body is not AwsChunkedStream chunked)
            {
                throw new S3Exception(S3Error.InvalidRequest, $"Unsupported x-amz-trailer '{trailer}'.");
            }
            return (match.Algorithm, () =>
            {
                string? value = chunked.Trailers.TryGetValue(match.Header, out var v) ? v : null;
                if (value is null)
                {
                    throw new S3Exception(S3Error.InvalidRequest, $"The trailer {match.Header} announced by x-amz-trailer was not sent.");
                }
                Validate(match.Algorithm, value, match.Header);
                return value;
            });
        }
        return (NamedAlgorithm(headers) ?? ChecksumAlgorithm.None, null);
    }

    /// <summary>
    /// The x-amz-checksum-* headers that carry a value, an empty one included (it is not a valid checksum). A name
    /// that is no algorithm S3 knows is refused: the store cannot check a checksum it does not know, and must not
    /// store the object as if it had.
    /// </summary>
    private static List<(ChecksumAlgorithm Algorithm, string Header, string Value)> ValueHeaders(IHeaderDictionary headers)
    {
        var values = new List<(ChecksumAlgorithm, string, string)>(1);
        foreach (var (name, value) in headers)
        {
            if (!name.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase)
                || OtherChecksumHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }
            var known = Headers.FirstOrDefault(h => h.Header.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (known.Header is null)
            {
                string algorithm = name["x-amz-checksum-".Length..].ToUpperInvariant();
                throw UnimplementedAlgorithms.Contains(algorithm, StringComparer.Ordinal)
                    ? NotImplemented(algorithm)
                    : new S3Exception(S3Error.InvalidRequest, "The algorithm type you specified in x-amz-checksum- header is invalid.");
            }
            values.Add((known.Algorithm, known.Header, value.ToString()));
        }
        return values;
    }

    /// <summary>The algorithm x-amz-checksum-algorithm or x-amz-sdk-checksum-algorithm names, if either is sent.</summary>
    private static ChecksumAlgorithm? NamedAlgorithm(IHeaderDictionary headers)
    {
        string header = headers.ContainsKey("x-amz-checksum-algorithm") ? "x-amz-checksum-algorithm" : "x-amz-sdk-checksum-algorithm";
        return headers[header].ToString().ToUpperInvariant() switch
        {
            "" => null,
            "CRC32" => ChecksumAlgorithm.Crc32,
            "CRC32C" => ChecksumAlgorithm.Crc32C,
            "CRC64NVME" => ChecksumAlgorithm.Crc64Nvme,
            "SHA1" => ChecksumAlgorithm.Sha1,
            "SHA256" => ChecksumAlgorithm.Sha256,
            var name when UnimplementedAlgorithms.Contains(name, StringComparer.Ordinal) => throw NotImplemented(name),
            _ => throw new S3Exception(S3Error.InvalidRequest, $"Value for {header} header is invalid."),
        };
    }

    private static S3Exception NotImplemented(string algorithm) =>
        new(S3Error.NotImplemented, $"The {algorithm} checksum algorithm is not implemented (CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 are).");

    /// <summary>An object's checksum and its type, for the answer to a PUT or a GET with x-amz-checksum-mode.</summary>
    public static void WriteHeaders(HttpResponse response, ObjectInfo info)
    {
        if (info.Checksum is not null && info.Metadata.ChecksumAlgorithm != ChecksumAlgorithm.None)
        {
            response.Headers[HeaderName(info.Metadata.ChecksumAlgorithm)] = info.Checksum;
            response.Headers["x-amz-checksum-type"] = info.IsMultipart ? "COMPOSITE" : "FULL_OBJECT";
        }
    }

    /// <summary>A checksum value must be the base64 of exactly the algorithm's digest; anything else is InvalidRequest.</summary>
    private static void Validate(ChecksumAlgorithm algorithm, string value, string header)
    {
        int expected = algorithm switch
        {
            ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C => 4,
            ChecksumAlgorithm.Crc64Nvme => 8,
            ChecksumAlgorithm.Sha1 => 20,
            _ => 32,
        };
        var bytes = new byte[expected + 3];
        if (!Convert.TryFromBase64String(value, bytes, out int written) || written != expected)
        {
            throw new S3Exception(S3Error.InvalidRequest, $"Value for {header} header is invalid.");
        }
    }
}

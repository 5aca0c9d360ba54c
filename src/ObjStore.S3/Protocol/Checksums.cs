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

    /// <summary>
    /// The flexible checksum the client asked for: a value in an x-amz-checksum-* header, or named by x-amz-trailer
    /// and delivered at the end of an aws-chunked body, or only an algorithm (x-amz-checksum-algorithm).
    /// </summary>
    public static (ChecksumAlgorithm, Func<string?>?) Requested(IHeaderDictionary headers, Stream body)
    {
        foreach (var (algorithm, header) in Headers)
        {
            if (headers[header].ToString() is { Length: > 0 } value)
            {
                Validate(algorithm, value);
                return (algorithm, () => value);
            }
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
                Validate(match.Algorithm, value);
                return value;
            });
        }
        string named = (headers["x-amz-checksum-algorithm"].ToString() is { Length: > 0 } a ? a : headers["x-amz-sdk-checksum-algorithm"].ToString()).ToUpperInvariant();
        return named switch
        {
            "" => (ChecksumAlgorithm.None, null),
            "CRC32" => (ChecksumAlgorithm.Crc32, null),
            "CRC32C" => (ChecksumAlgorithm.Crc32C, null),
            "CRC64NVME" => (ChecksumAlgorithm.Crc64Nvme, null),
            "SHA1" => (ChecksumAlgorithm.Sha1, null),
            "SHA256" => (ChecksumAlgorithm.Sha256, null),
            _ => throw new S3Exception(S3Error.InvalidRequest, "Value for x-amz-checksum-algorithm header is invalid."),
        };
    }

    /// <summary>An object's checksum and its type, for the answer to a PUT or a GET with x-amz-checksum-mode.</summary>
    public static void WriteHeaders(HttpResponse response, ObjectInfo info)
    {
        if (info.Checksum is not null && info.Metadata.ChecksumAlgorithm != ChecksumAlgorithm.None)
        {
            response.Headers[HeaderName(info.Metadata.ChecksumAlgorithm)] = info.Checksum;
            response.Headers["x-amz-checksum-type"] = info.IsMultipart ? "COMPOSITE" : "FULL_OBJECT";
        }
    }

    private static void Validate(ChecksumAlgorithm algorithm, string value)
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
            throw new S3Exception(S3Error.InvalidRequest, $"Value for {HeaderName(algorithm)} header is invalid.");
        }
    }
}

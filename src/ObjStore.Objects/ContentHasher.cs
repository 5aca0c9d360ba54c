using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using ObjStore.Core;

namespace ObjStore.Objects;

/// <summary>MD5 (the ETag) and the requested flexible checksum over one pass of the content.</summary>
internal sealed class ContentHasher : IDisposable
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly NonCryptographicHashAlgorithm? _crc;
    private readonly IncrementalHash? _sha;

    public ContentHasher(ChecksumAlgorithm algorithm)
    {
        _crc = algorithm switch
        {
            ChecksumAlgorithm.Crc32 => new Crc32(),
            ChecksumAlgorithm.Crc32C => new Crc32(Crc32ParameterSet.Crc32C),
            ChecksumAlgorithm.Crc64Nvme => new Crc64(Crc64ParameterSet.Nvme),
            _ => null,
        };
        _sha = algorithm switch
        {
            ChecksumAlgorithm.Sha1 => IncrementalHash.CreateHash(HashAlgorithmName.SHA1),
            ChecksumAlgorithm.Sha256 => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
            _ => null,
        };
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _md5.AppendData(data);
        _crc?.Append(data);
        _sha?.AppendData(data);
    }

    public byte[] Md5() => _md5.GetHashAndReset();

    /// <summary>Base64 of the checksum as S3 writes it (CRCs big-endian), or null when none was requested.</summary>
    public string? Checksum()
    {
        switch (_crc)
        {
            case Crc32 crc32:
                var four = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(four, crc32.GetCurrentHashAsUInt32());
                return Convert.ToBase64String(four);
            case Crc64 crc64:
                var eight = new byte[8];
                BinaryPrimitives.WriteUInt64BigEndian(eight, crc64.GetCurrentHashAsUInt64());
                return Convert.ToBase64String(eight);
        }
        return _sha is null ? null : Convert.ToBase64String(_sha.GetHashAndReset());
    }

    public void Dispose()
    {
        _md5.Dispose();
        _sha?.Dispose();
    }
}

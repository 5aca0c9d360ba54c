using System.Security.Cryptography;

namespace ObjStore.S3.Auth;

/// <summary>Passes a body through and, at its end, checks it against the signed x-amz-content-sha256.</summary>
public sealed class Sha256VerifyingStream(Stream inner, string expectedHex) : ReadOnlyBodyStream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private bool _checked;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await inner.ReadAsync(buffer, cancellationToken);
        if (n > 0)
        {
            _hash.AppendData(buffer.Span[..n]);
        }
        else if (!_checked && buffer.Length > 0)
        {
            _checked = true;
            if (Convert.ToHexStringLower(_hash.GetHashAndReset()) != expectedHex)
            {
                throw new S3Exception(S3Error.XAmzContentSHA256Mismatch);
            }
        }
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}

using System.Xml.Linq;
using ObjStore.S3.Auth;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>
/// A listing's encoding-type: absent, or "url" to percent-encode the keys, prefixes and delimiter in the answer (keys
/// may hold characters XML 1.0 cannot carry).
/// </summary>
internal readonly record struct KeyEncoding(bool Url)
{
    public static KeyEncoding FromQuery(S3Request request)
    {
        string? encoding = request.QueryValue("encoding-type");
        if (encoding is not null && encoding != "url")
        {
            throw new S3Exception(S3Error.InvalidArgument, "Invalid Encoding Method specified in Request");
        }
        return new(encoding == "url");
    }

    public string Encode(string value) => Url ? SigV4.UriEncode(value, encodeSlash: false) : value;

    /// <summary>The EncodingType element of an answer whose keys are encoded; null otherwise.</summary>
    public XElement? Element() => Url ? El("EncodingType", "url") : null;
}

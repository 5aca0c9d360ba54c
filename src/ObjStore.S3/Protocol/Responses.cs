using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.S3.Auth;
using static ObjStore.S3.Protocol.Xml;

namespace ObjStore.S3.Protocol;

/// <summary>The pieces every successful answer is built from: the XML document, quoted ETags, the owner.</summary>
internal static class Responses
{
    public static async Task WriteXmlAsync(HttpResponse response, XElement root)
    {
        var bytes = Serialize(root);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/xml";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes);
    }

    /// <summary>ETags travel quoted, in headers and in XML alike.</summary>
    public static string Quote(string etag) => "\"" + etag + "\"";

    /// <summary>The signer is the owner of everything (no ACLs yet); its ID is a stable hash of the access key.</summary>
    public static XElement Owner(AuthContext auth) =>
        El("Owner", El("ID", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(auth.AccessKey)))), El("DisplayName", auth.AccessKey));

    public static XElement Initiator(AuthContext auth) => new(Ns + "Initiator", Owner(auth).Elements());
}

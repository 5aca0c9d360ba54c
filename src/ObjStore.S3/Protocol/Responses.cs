using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using ObjStore.Access;
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

    /// <summary>An Owner element: a canonical id and, when known, its display name.</summary>
    public static XElement Owner(string canonicalId, string? displayName) =>
        El("Owner", El("ID", canonicalId), displayName is null ? null : El("DisplayName", displayName));

    /// <summary>The caller as an Owner element (an anonymous caller has the anonymous canonical id).</summary>
    public static XElement Owner(Principal principal) => Owner(principal.CanonicalId, principal.Name);

    /// <summary>
    /// An upload's Initiator: uploads record their owner, not who started them, so it is shown as the owner (the
    /// writer, or the bucket owner).
    /// </summary>
    public static XElement Initiator(XElement owner) => new(Ns + "Initiator", owner.Elements());
}

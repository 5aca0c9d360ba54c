using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace ObjStore.S3.Protocol;

/// <summary>S3's XML: the namespace, its timestamp format, and safe parsing of request bodies.</summary>
public static class Xml
{
    public static readonly XNamespace Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    public static XElement El(string name, params object?[] content) => new(Ns + name, content);

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string HttpDate(DateTimeOffset value) => value.UtcDateTime.ToString("R", CultureInfo.InvariantCulture);

    public static byte[] Serialize(XElement root)
    {
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false), Indent = false, Async = false }))
        {
            new XDocument(new XDeclaration("1.0", "UTF-8", null), root).Save(writer);
        }
        return stream.ToArray();
    }

    /// <summary>Parses a small request body; no DTDs, bounded size. Anything unparsable is MalformedXML.</summary>
    public static XElement Parse(byte[] body)
    {
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = 4 << 20,
            });
            return XElement.Load(reader);
        }
        catch (XmlException e)
        {
            throw new S3Exception(S3Error.MalformedXML, inner: e);
        }
    }

    /// <summary>Child elements by local name, whatever namespace the client used.</summary>
    public static IEnumerable<XElement> Children(XElement parent, string localName) =>
        parent.Elements().Where(e => e.Name.LocalName == localName);

    public static string? ChildValue(XElement parent, string localName) => Children(parent, localName).FirstOrDefault()?.Value;
}
